# The course's build: compile the lessons, test them, run them.
#   make test        every lesson's tests, the course check, the bad-input suite and the practice
#                    suite, ending with "N passed, N failed"
#   make test-03     one lesson's tests (test-course, test-inputs, test-practice: the other suites alone)
#   make run-03      run lesson 03 as its README says (ARGS="--seed 7" passes flags)
#   make diff-03     what lesson 03 changes in the network code of lesson 02
#   make lessons     run every lesson's default demo, in order (lesson 17 without its page)
#   make bench       the speed benchmarks of lesson 09 (matrix products and training times) and lesson 15
#                    (convolution as loops against im2col)
#   make practice-03 your own copy of lesson 03 in practice/03/, its key methods left for you to
#                    write (FORCE=1 starts over); make check-03 checks them, one line per method
#   make clean       remove build/ and out/
# JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java make run-03 runs a lesson on another JDK.

SHELL := /bin/bash
JAVA ?= java
JAVAC ?= javac
JUNIT_VERSION := 1.14.4
JUNIT_JAR ?= build/junit-platform-console-standalone-$(JUNIT_VERSION).jar
JAVAC_FLAGS := --release 17 -Xlint:all,-serial -Werror
# javac's own JVM: the serial collector and the quick compiler halve the CPU a compile costs here.
JAVAC_JVM := -J-XX:+UseSerialGC -J-XX:TieredStopAtLevel=1
LESSONS := $(patsubst lessons/%/,%,$(sort $(wildcard lessons/[0-9][0-9]/)))

SUITES := $(LESSONS) course inputs practice
PRACTISED := $(patsubst lessons/%/practice.txt,%,$(wildcard lessons/*/practice.txt))
# The practice suite and check-NN spend their time in javac, in-process, as does the course check
# (it compiles each lesson alone): the quick compiler halves their CPU.
QUICK_JIT := -XX:TieredStopAtLevel=1
CLASSES := build/classes
# Every test file of every suite (tests/practice/kit/ is the practice kit, not tests).
TEST_SOURCES := $(wildcard tests/*/*.java)
LESSON_SOURCES := $(wildcard lessons/*/*.java)
KIT := tests/practice/kit/Practice.java

.PHONY: test lessons bench clean $(SUITES:%=test-%) $(LESSONS:%=run-%) $(LESSONS:%=diff-%) \
	$(PRACTISED:%=practice-%) $(PRACTISED:%=check-%)

# One javac for every lesson, one for every test: a compiler's start costs more than most lessons'
# compiling. Each lesson's main class is its own, so they share a folder; the course check compiles
# each lesson alone as well, to prove that none needs another. The practice kit's generator gets a
# folder of its own: the practice suite compiles lessons itself and must not find them on its path.
$(CLASSES)/.done: $(LESSON_SOURCES) $(KIT) $(TEST_SOURCES) $(JUNIT_JAR) Makefile
	@rm -rf $(CLASSES); mkdir -p $(CLASSES)/main $(CLASSES)/kit $(CLASSES)/test
	@if grep -nP '[^\x00-\x7F]' $(LESSON_SOURCES) $(KIT) $(TEST_SOURCES); then \
	  echo "keep .java files plain ASCII (JDK 17 under a C locale cannot read the lines above): write dE/dw, x^2, sum"; \
	  exit 1; fi
	@$(JAVAC) $(JAVAC_JVM) $(JAVAC_FLAGS) -d $(CLASSES)/main $(LESSON_SOURCES) || { echo "the lessons did not compile"; exit 1; }
	@$(JAVAC) $(JAVAC_JVM) $(JAVAC_FLAGS) -d $(CLASSES)/kit $(KIT) || { echo "the practice kit did not compile"; exit 1; }
	@$(JAVAC) $(JAVAC_JVM) --release 17 -cp $(CLASSES)/main:$(CLASSES)/kit:$(JUNIT_JAR) -d $(CLASSES)/test $(TEST_SOURCES) \
	  || { echo "the tests did not compile"; exit 1; }
	@touch $@

# The suites run in two JVMs side by side, not one each: a JVM with JUnit costs more to start than
# many a suite's tests. The practice lane runs the practice suite, with the quick compiler (it
# spends its time in javac, in-process) and without the lessons on its class path (it compiles
# them itself); the other lane runs every other suite, JOBS test classes at a time, each class's
# tests in order. (The serial collector: for small, short JVMs it costs a third less CPU than G1.)
# A lane writes JUnit's whole report to build/lane-NAME/log and its XML report beside it.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PARALLEL := --config junit.jupiter.execution.parallel.enabled=true \
	--config junit.jupiter.execution.parallel.mode.classes.default=concurrent \
	--config junit.jupiter.execution.parallel.config.strategy=fixed \
	--config junit.jupiter.execution.parallel.config.fixed.parallelism=$(JOBS)
classes_of = $(foreach s,$(1),$(basename $(notdir $(wildcard tests/$(s)/*.java))))
# $(1) the lane's name, $(2) its suites, $(3) its JVM's flags and class path
define lane
( rm -rf build/lane-$(1); mkdir -p build/lane-$(1); \
  $(JAVA) -XX:+UseSerialGC $(3) org.junit.platform.console.ConsoleLauncher execute --disable-banner --disable-ansi-colors \
    --details=tree --fail-if-no-tests --reports-dir build/lane-$(1) $(PARALLEL) \
    $(addprefix --select-class ,$(call classes_of,$(2))) > build/lane-$(1)/log 2>&1 )
endef

# Compiles, runs the suites named in $(1) in their lanes, then prints a line per suite (its tests
# counted from the XML reports, by class), their sum, and what failed; fails if any test failed. A
# failure the XML cannot place (a test engine that could not start) counts against its lane.
count = awk 'BEGIN { RS = "<testcase " } FNR > 1 && match($$0, /classname="[^"]*"/) { \
	c = substr($$0, RSTART + 11, RLENGTH - 12); seen[c] = 1; \
	if ($$0 ~ /\n<(failure|error)[ >]/) f[c]++; else if ($$0 ~ /\n<skipped/) s[c]++; else p[c]++ } \
	END { for (c in seen) print c, p[c] + 0, f[c] + 0, s[c] + 0 }'
define summarise
@mkdir -p build; touch build/tests-started
@$(MAKE) -s --no-print-directory $(CLASSES)/.done
@$(if $(filter practice,$(1)),$(call lane,practice,practice,$(QUICK_JIT) -cp $(JUNIT_JAR):$(CLASSES)/kit:$(CLASSES)/test) &) \
 $(if $(filter-out practice,$(1)),$(call lane,main,$(filter-out practice,$(1)),-cp $(JUNIT_JAR):$(CLASSES)/main:$(CLASSES)/test) &) \
 wait
@lanes="$(if $(filter practice,$(1)),build/lane-practice) $(if $(filter-out practice,$(1)),build/lane-main)"; \
$(count) $$(for l in $$lanes; do ls $$l/TEST-junit-jupiter.xml 2>/dev/null; done) /dev/null > build/counts; \
passed=0; failed=0; skipped=0; \
for n in $(1); do \
  read -r p f s < <(awk -v classes=" $$(cd tests/$$n && echo *.java | sed 's/\.java//g') " 'index(classes, " " $$1 " ") { p += $$2; f += $$3; s += $$4 } \
    END { print p + 0, f + 0, s + 0 }' build/counts); \
  [ $$((p + f)) -gt 0 ] || f=1; \
  passed=$$((passed + p)); failed=$$((failed + f)); skipped=$$((skipped + s)); \
  printf '%-8s %4d passed, %d failed%s\n' "$$n" "$$p" "$$f" "$$([ $$s = 0 ] || echo ", $$s skipped (why: build/lane-$$([ $$n = practice ] && echo practice || echo main)/log)")"; \
done; \
for lane in $$lanes; do \
  log=$$lane/log; sums=$$(sed -n 's/.*\[ *\([0-9]*\) \(tests\|containers\) failed.*/\1/p' $$log 2>/dev/null | paste -sd+); \
  if [ $$(( $${sums:-1} )) != 0 ]; then \
    [ $$failed -gt 0 ] || failed=1; \
    echo; echo "== what failed (the whole report: $$log)"; \
    grep -E '✘|=>|Exception|Error' $$log | grep -v '^\s*at ' | head -60; \
  fi; \
done; \
touched=$$(find out -type f -newer build/tests-started 2>/dev/null | head -3); \
if [ -n "$$touched" ]; then echo "tests wrote into out/ (they must use a temporary folder): $$touched"; failed=$$((failed + 1)); fi; \
echo; echo "$$passed passed, $$failed failed$$([ $$skipped = 0 ] || echo ", $$skipped skipped")"; [ $$failed -eq 0 ]
endef

test: $(JUNIT_JAR)
	$(call summarise,$(SUITES))

$(SUITES:%=test-%): test-%: $(JUNIT_JAR)
	$(call summarise,$*)

# The network code (everything between the lesson's class line and its "the lesson" banner) of
# lesson NN-1 against lesson NN: exactly what lesson NN adds or changes (indentation aside, so that
# a class that becomes nested shows as unchanged).
concept = awk '/^public class /{on=1; next} /^    \/\/ -+ the lesson$$/{exit} on' $(1)
$(LESSONS:%=diff-%): diff-%:
	@prev=$$(printf '%02d' $$((10#$* - 1))); \
	[ -d lessons/$$prev ] || { echo "lesson $* is the first: there is nothing to compare it with"; exit 0; }; \
	a=$$(echo lessons/$$prev/*.java); b=$$(echo lessons/$*/*.java); \
	diff -u -w --label "$$a" --label "$$b" <($(call concept,"$$a")) <($(call concept,"$$b")); [ $$? -le 1 ]

$(LESSONS:%=run-%): run-%:
	$(JAVA) $(wildcard lessons/$*/*.java) $(ARGS)

# Practice mode (tests/practice/kit/Practice.java): practice-NN writes practice/NN/Name.java, refusing to
# overwrite it unless FORCE=1; check-NN compiles it and prints "name: ok" or what is wrong per method.
$(PRACTISED:%=practice-%): practice-%:
	@$(JAVA) $(QUICK_JIT) tests/practice/kit/Practice.java new $* $(if $(filter 1,$(FORCE)),--force)

$(PRACTISED:%=check-%): check-%:
	@$(JAVA) $(QUICK_JIT) tests/practice/kit/Practice.java check $*

# Lesson 17 serves a page until Ctrl-C; here it trains XOR without one and prints the losses.
lessons:
	@for n in $(LESSONS); do $(MAKE) -s --no-print-directory run-$$n ARGS="$$([ $$n = 17 ] && echo --steps 300)" || exit 1; done

bench:
	$(JAVA) lessons/09/Speedy.java --bench
	$(JAVA) lessons/15/Convolution.java --bench

# JUnit 5's console launcher, fetched once from Maven Central (or give JUNIT_JAR=/path/to.jar).
$(JUNIT_JAR):
	@mkdir -p build
	@command -v mvn >/dev/null \
	  || { echo "JUnit missing: install Maven (apt-get install maven) or run make JUNIT_JAR=/path/to/junit-platform-console-standalone-$(JUNIT_VERSION).jar"; exit 2; }
	@echo "fetching junit-platform-console-standalone $(JUNIT_VERSION) with Maven"
	@mvn -B -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$(JUNIT_VERSION) \
	    -DoutputDirectory=$(dir $(JUNIT_JAR)) > build/mvn.log 2>&1 && [ -f $@ ] \
	  || { echo "could not fetch JUnit (see build/mvn.log): check Maven's network access, or run make JUNIT_JAR=/path/to/junit-platform-console-standalone-$(JUNIT_VERSION).jar"; exit 2; }

clean:
	rm -rf build out
