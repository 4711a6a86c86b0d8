# The course's build: compile each lesson on its own, test it, run it.
#   make test        every lesson's tests, the course check, the bad-input suite and the practice
#                    suite, ending with "N passed, N failed"
#   make test-03     one lesson's tests (test-course, test-inputs, test-practice: the other suites alone)
#   make run-03      run lesson 03 as its README says (ARGS="--seed 7" passes flags)
#   make diff-03     what lesson 03 changes in the network code of lesson 02
#   make lessons     run every lesson's default demo, in order
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
TESTED := inputs $(LESSONS) course practice
# What a suite compiles its tests against: its lesson; every lesson (inputs); the practice kit's
# generator (practice); nothing (course).
sources = $(if $(filter inputs,$(1)),$(wildcard lessons/*/*.java),$(if $(filter practice,$(1)),tests/practice/kit/Practice.java,$(wildcard lessons/$(1)/*.java)))
PRACTISED := $(patsubst lessons/%/practice.txt,%,$(wildcard lessons/*/practice.txt))
# The practice suite and check-NN spend their time in javac, in-process: the quick compiler halves its CPU.
QUICK_JIT := -XX:TieredStopAtLevel=1

.PHONY: test lessons bench clean $(SUITES:%=test-%) $(SUITES:%=suite-%) $(LESSONS:%=run-%) $(LESSONS:%=diff-%) \
	$(PRACTISED:%=practice-%) $(PRACTISED:%=check-%)

# A lesson's tests: compile the lesson alone, then its tests against it, then run them. The course
# check (tests/course) reads every lesson as text and compiles against nothing but JUnit; the
# bad-input suite (tests/inputs) runs every lesson.
# (The serial collector: for these small, short JVMs it costs a third less CPU than the default G1.)
# Each suite-NN writes JUnit's whole report to build/NN/log, prints only what failed, and leaves
# "passed failed" in build/NN/counts for the summary below.
$(SUITES:%=suite-%): suite-%: $(JUNIT_JAR)
	@rm -rf build/$*; mkdir -p build/$*/main build/$*/test; echo "0 1" > build/$*/counts
	@if grep -nP '[^\x00-\x7F]' $(wildcard lessons/$*/*.java) tests/$*/*.java; then \
	  echo "$*: keep .java files plain ASCII (JDK 17 under a C locale cannot read the lines above): write dE/dw, x^2, sum"; \
	  exit 1; fi
	@$(if $(call sources,$*),$(JAVAC) $(JAVAC_JVM) $(JAVAC_FLAGS) -d build/$*/main $(call sources,$*) &&) true \
	  && $(JAVAC) $(JAVAC_JVM) --release 17 -cp build/$*/main:$(JUNIT_JAR) -d build/$*/test tests/$*/*.java tests/common/*.java \
	  || { echo "$*: did not compile"; exit 1; }
	@$(JAVA) -XX:+UseSerialGC $(if $(filter practice,$*),$(QUICK_JIT)) -cp $(JUNIT_JAR):build/$*/main:build/$*/test org.junit.platform.console.ConsoleLauncher execute \
	    --disable-banner --disable-ansi-colors --details=tree --fail-if-no-tests --scan-classpath build/$*/test \
	  > build/$*/log 2>&1; \
	passed=$$(sed -n 's/.*\[ *\([0-9]*\) tests successful.*/\1/p' build/$*/log); \
	failed=$$(sed -n 's/.*\[ *\([0-9]*\) tests failed.*/\1/p' build/$*/log); \
	[ -n "$$passed" ] || { passed=0; failed=1; }; \
	echo "$$passed $$failed" > build/$*/counts; \
	if [ "$$failed" != 0 ]; then \
	  echo "== $*: $$failed failed (the whole report: build/$*/log)"; \
	  grep -E '✘|=>|Exception|Error' build/$*/log | grep -v '^\s*at ' | head -60; \
	fi

# Runs the suite-NN targets named in $(1), one per core (the long bad-input suite first, beside
# the lessons), each suite's output kept together;
# then prints their sum and fails if any test failed.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
define summarise
@mkdir -p build; touch build/tests-started
@$(MAKE) -s --no-print-directory -k -j$(JOBS) --output-sync=target $(addprefix suite-,$(1)) || true
@passed=0; failed=0; \
for n in $(1); do \
  read p f < build/$$n/counts; passed=$$((passed + p)); failed=$$((failed + f)); \
  printf '%-8s %4d passed, %d failed\n' "$$n" "$$p" "$$f"; \
done; \
touched=$$(find out -type f -newer build/tests-started 2>/dev/null | head -3); \
if [ -n "$$touched" ]; then echo "tests wrote into out/ (they must use a temporary folder): $$touched"; failed=$$((failed + 1)); fi; \
echo; echo "$$passed passed, $$failed failed"; [ $$failed -eq 0 ]
endef

test: $(JUNIT_JAR)
	$(call summarise,$(TESTED))

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

lessons:
	@for n in $(LESSONS); do $(MAKE) -s --no-print-directory run-$$n || exit 1; done

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
