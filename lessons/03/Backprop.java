import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.DoubleConsumer;
import javax.imageio.ImageIO;

/**
 * Lesson 03: backpropagation.
 *
 * To learn, every weight must know how the error changes when it moves: dE/dw. The chain rule
 * gives that one neuron at a time, from the output back to the inputs, and gradient descent
 * then moves each weight a little downhill: w <- w - eta * dE/dw.
 *
 * Run: java lessons/03/Backprop.java [--seed N] [--exercise 1|2|3]
 */
public class Backprop {

    /** A neuron that remembers its last forward pass, so that it can work out its gradients. */
    static class Neuron {
        final double[] weights;
        double bias;
        final Activation activation;
        double[] inputs; // the x of the last forward pass
        double output; // the y of the last forward pass
        final double[] weightGradients; // dE/dw from the last backward pass
        double biasGradient; // dE/db, which is also dE/dz

        Neuron(double[] weights, double bias, Activation activation) {
            this.weights = weights;
            this.bias = bias;
            this.activation = activation;
            this.weightGradients = new double[weights.length];
        }

        static Neuron random(int inputs, Activation activation, Random rng) {
            double[] weights = new double[inputs];
            for (int i = 0; i < inputs; i++) weights[i] = 2 * rng.nextDouble() - 1;
            return new Neuron(weights, 2 * rng.nextDouble() - 1, activation);
        }

        /** y = f(w.x + b) */
        double forward(double[] x) {
            if (x.length != weights.length) {
                throw new IllegalArgumentException("expected " + weights.length + " inputs, got " + x.length);
            }
            double z = bias;
            for (int i = 0; i < weights.length; i++) z += weights[i] * x[i];
            inputs = x.clone();
            output = activation.apply(z);
            return output;
        }

        /**
         * Given dE/dy, stores dE/dw and dE/db and returns dE/dx, all by the chain rule:
         * dE/dz = dE/dy * f'(z), dE/dw_i = dE/dz * x_i, dE/db = dE/dz, dE/dx_i = dE/dz * w_i.
         * dE/dx uses the weights of the forward pass: call update only afterwards.
         */
        double[] backward(double outputGradient) {
            double delta = outputGradient * activation.derivative(output); // dE/dz
            double[] inputGradients = new double[weights.length];
            for (int i = 0; i < weights.length; i++) {
                weightGradients[i] = delta * inputs[i];
                inputGradients[i] = delta * weights[i];
            }
            biasGradient = delta;
            return inputGradients;
        }

        /** One step of gradient descent: move every parameter against its gradient. */
        void update(double learningRate) {
            for (int i = 0; i < weights.length; i++) weights[i] -= learningRate * weightGradients[i];
            bias -= learningRate * biasGradient;
        }
    }

    /** Activations, each with its derivative f'(z) written in terms of its output y = f(z). */
    enum Activation {
        SIGMOID("sigmoid", "y(1 - y)") {
            double apply(double z) { return 1 / (1 + Math.exp(-z)); }
            double derivative(double y) { return y * (1 - y); }
        },
        TANH("tanh", "1 - y^2") {
            double apply(double z) { return Math.tanh(z); }
            double derivative(double y) { return 1 - y * y; }
        },
        RELU("ReLU", "1 if y > 0, else 0") {
            double apply(double z) { return Math.max(0, z); }
            double derivative(double y) { return y > 0 ? 1 : 0; }
        },
        LEAKY_RELU("leaky ReLU", "1 if y > 0, else 0.01") {
            double apply(double z) { return z > 0 ? z : 0.01 * z; }
            double derivative(double y) { return y > 0 ? 1 : 0.01; }
        };

        final String label, formula;

        Activation(String label, String formula) {
            this.label = label;
            this.formula = formula;
        }

        abstract double apply(double z);

        abstract double derivative(double y);
    }

    /** Layers of neurons; the last layer is the output layer. */
    static class NeuralNetwork {
        final Neuron[][] layers;

        NeuralNetwork(Neuron[][] layers) {
            this.layers = layers;
        }

        /** sizes = {inputs, hidden..., outputs}, every neuron drawn from rng. */
        static NeuralNetwork random(int[] sizes, Activation activation, Random rng) {
            Neuron[][] layers = new Neuron[sizes.length - 1][];
            for (int l = 0; l < layers.length; l++) {
                layers[l] = new Neuron[sizes[l + 1]];
                for (int j = 0; j < sizes[l + 1]; j++) layers[l][j] = Neuron.random(sizes[l], activation, rng);
            }
            return new NeuralNetwork(layers);
        }

        double[] forward(double[] x) {
            for (Neuron[] layer : layers) {
                double[] next = new double[layer.length];
                for (int j = 0; j < layer.length; j++) next[j] = layer[j].forward(x);
                x = next;
            }
            return x;
        }

        /** Passes dE/doutput back through every layer; each neuron keeps its own gradients. */
        void backward(double[] outputGradient) {
            double[] gradient = outputGradient;
            for (int l = layers.length - 1; l >= 0; l--) {
                double[] inputGradient = new double[layers[l][0].weights.length];
                for (int j = 0; j < layers[l].length; j++) {
                    double[] fromNeuron = layers[l][j].backward(gradient[j]);
                    for (int i = 0; i < inputGradient.length; i++) inputGradient[i] += fromNeuron[i]; // x_i feeds every neuron
                }
                gradient = inputGradient;
            }
        }

        void update(double learningRate) {
            for (Neuron[] layer : layers) {
                for (Neuron n : layer) n.update(learningRate);
            }
        }

        /** One step of gradient descent on one example: forward, backward, update. */
        void backpropagate(double[] x, double[] target, double learningRate) {
            backward(errorGradient(target, forward(x)));
            update(learningRate);
        }
    }

    /** E = 1/2 sum (t - o)^2; the 1/2 cancels when differentiating. */
    static double error(double[] target, double[] output) {
        checkSameLength(target, output);
        double sum = 0;
        for (int i = 0; i < target.length; i++) sum += (target[i] - output[i]) * (target[i] - output[i]);
        return sum / 2;
    }

    /** dE/do = o - t */
    static double[] errorGradient(double[] target, double[] output) {
        checkSameLength(target, output);
        double[] gradient = new double[output.length];
        for (int i = 0; i < output.length; i++) gradient[i] = output[i] - target[i];
        return gradient;
    }

    static void checkSameLength(double[] target, double[] output) {
        if (target.length != output.length) {
            throw new IllegalArgumentException("expected " + output.length + " targets, got " + target.length);
        }
    }

    static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    // ---------------------------------------------------------------- the lesson

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT); // print 0.5, not 0,5, whatever the machine's language
        try {
            Options options = Options.parse(args);
            switch (options.exercise) {
                case 0 -> lesson(new Random(options.seed));
                case 1 -> exerciseLearningRates();
                case 2 -> exerciseManySteps();
                case 3 -> exerciseUnshiftedData(new Random(options.seed));
                default -> throw new UserError("there is no exercise " + options.exercise + "; try --exercise 1, 2 or 3");
            }
        } catch (UserError e) {
            System.err.println("Backprop: " + e.getMessage());
            System.exit(2);
        }
    }

    static void lesson(Random rng) {
        System.out.println("Lesson 03: backpropagation, the chain rule run backwards");
        oneNeuron();
        derivatives();
        tutorialExercise();
        genderNetwork(rng);
        gradientChecks(rng);
    }

    /** Step 1: every derivative of one sigmoid neuron, then one step of gradient descent. */
    static void oneNeuron() {
        System.out.println("\n1. The chain rule on one neuron (weights [0.5, -0.3], bias 0.1, input [1, 2], target 1)");
        Neuron n = new Neuron(new double[] {0.5, -0.3}, 0.1, Activation.SIGMOID);
        double[] x = {1, 2}, t = {1};
        double y = n.forward(x);
        double before = error(t, new double[] {y});
        double dEdy = y - t[0];
        double[] dEdx = n.backward(dEdy);
        double z = n.bias;
        StringBuilder sum = new StringBuilder();
        for (int i = 0; i < x.length; i++) {
            z += n.weights[i] * x[i];
            sum.append(n.weights[i]).append('*').append(x[i]).append(" + ");
        }
        System.out.printf("   forward:  z = %s%s = %.4f,  y = sigmoid(z) = %.6f,  E = 1/2(t - y)^2 = %.6f%n",
                sum, n.bias, z, y, before);
        System.out.printf("   dE/dy = y - t             = %+.6f%n", dEdy);
        System.out.printf("   dy/dz = y(1 - y)          = %+.6f   (sigmoid's slope, from its output)%n", y * (1 - y));
        System.out.printf("   dE/dz = dE/dy * dy/dz     = %+.6f%n", n.biasGradient);
        System.out.printf("   dE/dw = dE/dz * x         = [%+.6f, %+.6f]%n", n.weightGradients[0], n.weightGradients[1]);
        System.out.printf("   dE/db = dE/dz             = %+.6f%n", n.biasGradient);
        System.out.printf("   dE/dx = dE/dz * w         = [%+.6f, %+.6f]   (what a previous layer would receive)%n", dEdx[0], dEdx[1]);
        n.update(0.5);
        double after = error(t, new double[] {n.forward(x)});
        System.out.printf("   update with learning rate 0.5:  w = [%.6f, %.6f], b = %.6f;  E falls from %.6f to %.6f%n",
                n.weights[0], n.weights[1], n.bias, before, after);
    }

    /** Step 2: each activation's derivative from its output, checked against a central difference. */
    static void derivatives() {
        System.out.println("\n2. Every activation's derivative, written from its output y = f(z)");
        for (Activation f : Activation.values()) {
            double worst = 0;
            for (double z = -5.05; z < 5; z += 0.5) { // steps past 0, where ReLU has no derivative
                double numeric = (f.apply(z + 1e-6) - f.apply(z - 1e-6)) / 2e-6;
                worst = Math.max(worst, Math.abs(f.derivative(f.apply(z)) - numeric));
            }
            System.out.printf("   %-11s f'(z) = %-22s largest gap to (f(z+h) - f(z-h))/2h on [-5, 5]: %.1e%n",
                    f.label, f.formula, worst);
        }
        Path png = outDir().resolve("03-derivatives.png");
        save(derivativeChart(), png);
        System.out.println("   plot: " + png);
    }

    static Chart derivativeChart() {
        int points = 601;
        double[] z = new double[points];
        for (int i = 0; i < points; i++) z[i] = -6 + 12.0 * i / (points - 1);
        Chart chart = new Chart("Derivatives of the activations", "z", "f'(z)");
        for (Activation f : Activation.values()) {
            double[] slope = new double[points];
            for (int i = 0; i < points; i++) slope[i] = f.derivative(f.apply(z[i]));
            chart.add(f.label, z, slope, f == Activation.LEAKY_RELU); // dashed: it covers ReLU for z > 0
        }
        chart.yRange(-0.1, 1.2);
        return chart;
    }

    /** Step 3: the tutorial's exercise 5, done right and done the tutorial's way. */
    static void tutorialExercise() {
        System.out.println("\n3. One backward pass through 1-2-1 (weights 0.5, biases 0, input [1], target [1], learning rate 0.8)");
        NeuralNetwork right = exerciseNetwork(), tutorial = exerciseNetwork(), before = exerciseNetwork();
        double[] x = {1}, t = {1};
        System.out.printf("   output before: %.12f, error %.12f%n", right.forward(x)[0], error(t, right.forward(x)));
        right.backpropagate(x, t, 0.8);
        backpropagateTutorialOrder(tutorial, x, t, 0.8);
        System.out.println("   parameter            before            after             after, tutorial's order");
        for (int l = 0; l < before.layers.length; l++) {
            for (int j = 0; j < before.layers[l].length; j++) {
                String name = (l == 0 ? "hidden " + (j + 1) : "output  ");
                Neuron b = before.layers[l][j], r = right.layers[l][j], u = tutorial.layers[l][j];
                for (int i = 0; i < b.weights.length; i++) {
                    System.out.printf("   %s w%d     %.12f    %.12f    %.12f%n", name, i + 1, b.weights[i], r.weights[i], u.weights[i]);
                }
                System.out.printf("   %s b      %.12f    %.12f    %.12f%n", name, b.bias, r.bias, u.bias);
            }
        }
        System.out.printf("   output after:  %.12f (tutorial's order: %.12f)%n", right.forward(x)[0], tutorial.forward(x)[0]);
        System.out.println("   The hidden neurons differ: the tutorial passes back delta*w with the output neuron's");
        System.out.println("   already-updated weights, which is not the gradient of the error that was measured.");
    }

    static NeuralNetwork exerciseNetwork() {
        Neuron[] hidden = {new Neuron(new double[] {0.5}, 0, Activation.SIGMOID), new Neuron(new double[] {0.5}, 0, Activation.SIGMOID)};
        Neuron[] output = {new Neuron(new double[] {0.5, 0.5}, 0, Activation.SIGMOID)};
        return new NeuralNetwork(new Neuron[][] {hidden, output});
    }

    /** The tutorial's order: each neuron updates itself first, then passes back delta*w with its new weights. */
    static void backpropagateTutorialOrder(NeuralNetwork net, double[] x, double[] target, double learningRate) {
        double[] gradient = errorGradient(target, net.forward(x));
        for (int l = net.layers.length - 1; l >= 0; l--) {
            double[] inputGradient = new double[net.layers[l][0].weights.length];
            for (int j = 0; j < net.layers[l].length; j++) {
                Neuron n = net.layers[l][j];
                n.backward(gradient[j]);
                n.update(learningRate);
                for (int i = 0; i < inputGradient.length; i++) inputGradient[i] += n.biasGradient * n.weights[i];
            }
            gradient = inputGradient;
        }
    }

    // Alice, Bob, Charlie and Diana: weight - 135 lb, height - 66 in; 1 = female, 0 = male
    static final double[][] PEOPLE = {{-2, -1}, {25, 6}, {17, 4}, {-15, -6}};
    static final double[] FEMALE = {1, 0, 0, 1};

    /** The 2-2-1 network of the weight/height example, every derivative written out by hand. */
    static class GenderNetwork {
        double w1, w2, w3, w4, w5, w6, b1, b2, b3;

        GenderNetwork(Random rng) {
            w1 = rng.nextGaussian(); w2 = rng.nextGaussian(); w3 = rng.nextGaussian();
            w4 = rng.nextGaussian(); w5 = rng.nextGaussian(); w6 = rng.nextGaussian();
            b1 = rng.nextGaussian(); b2 = rng.nextGaussian(); b3 = rng.nextGaussian();
        }

        double predict(double[] x) {
            double h1 = sigmoid(w1 * x[0] + w2 * x[1] + b1);
            double h2 = sigmoid(w3 * x[0] + w4 * x[1] + b2);
            return sigmoid(w5 * h1 + w6 * h2 + b3);
        }

        /** One gradient step on one person, for the tutorial's loss L = (y - o)^2, so dL/do = -2(y - o). */
        void train(double[] x, double y, double learningRate) {
            double h1 = sigmoid(w1 * x[0] + w2 * x[1] + b1);
            double h2 = sigmoid(w3 * x[0] + w4 * x[1] + b2);
            double o = sigmoid(w5 * h1 + w6 * h2 + b3);

            double dLdZo = -2 * (y - o) * o * (1 - o); // through the output neuron's sigmoid
            double dLdZ1 = dLdZo * w5 * h1 * (1 - h1); // back along w5 into h1's sigmoid
            double dLdZ2 = dLdZo * w6 * h2 * (1 - h2); // back along w6 into h2's sigmoid

            w5 -= learningRate * dLdZo * h1;
            w6 -= learningRate * dLdZo * h2;
            b3 -= learningRate * dLdZo;
            w1 -= learningRate * dLdZ1 * x[0];
            w2 -= learningRate * dLdZ1 * x[1];
            b1 -= learningRate * dLdZ1;
            w3 -= learningRate * dLdZ2 * x[0];
            w4 -= learningRate * dLdZ2 * x[1];
            b2 -= learningRate * dLdZ2;
        }

        /** Mean squared error over the four people. */
        double loss(double[][] people) {
            double sum = 0;
            for (int p = 0; p < people.length; p++) sum += Math.pow(FEMALE[p] - predict(people[p]), 2);
            return sum / people.length;
        }

        /** Trains for the given epochs and returns the loss before each one, and after the last. */
        double[] fit(double[][] people, int epochs, double learningRate) {
            double[] history = new double[epochs + 1];
            for (int epoch = 0; epoch < epochs; epoch++) {
                history[epoch] = loss(people);
                for (int p = 0; p < people.length; p++) train(people[p], FEMALE[p], learningRate);
            }
            history[epochs] = loss(people);
            return history;
        }
    }

    /** Step 4: the weight/height example, trained for 1,000 epochs. */
    static void genderNetwork(Random rng) {
        System.out.println("\n4. A hand-derived 2-2-1 network learns gender from weight and height (learning rate 0.1)");
        GenderNetwork net = new GenderNetwork(rng);
        double[] history = net.fit(PEOPLE, 1000, 0.1);
        for (int epoch = 0; epoch < 1000; epoch += 10) {
            System.out.printf("   epoch %3d loss %.3f%s", epoch, history[epoch], epoch % 50 == 40 ? "\n" : "");
        }
        System.out.printf("   after 1000 epochs the loss is %.4f%n", history[1000]);
        double emily = net.predict(new double[] {-7, -3}), frank = net.predict(new double[] {20, 2});
        System.out.printf("   Emily (128 lb, 63 in): %.3f -> %s%n", emily, emily > 0.5 ? "F" : "M");
        System.out.printf("   Frank (155 lb, 68 in): %.3f -> %s%n", frank, frank > 0.5 ? "F" : "M");
        double[] epochs = new double[history.length];
        for (int i = 0; i < epochs.length; i++) epochs[i] = i;
        Chart chart = new Chart("Weight/height network: training loss", "epoch", "mean squared error");
        chart.add("loss over the four people", epochs, history, false);
        chart.yRange(0, history[0] * 1.05);
        Path png = outDir().resolve("03-gender-loss.png");
        save(chart, png);
        System.out.println("   plot: " + png);
    }

    /** Step 5: backprop's gradient against central differences, for every parameter. */
    static void gradientChecks(Random rng) {
        System.out.println("\n5. Gradient check: backprop against (E(p + h) - E(p - h)) / 2h for every weight and bias");
        for (Activation f : Activation.values()) {
            NeuralNetwork net = NeuralNetwork.random(new int[] {3, 4, 3, 2}, f, rng);
            double[] x = {rng.nextGaussian(), rng.nextGaussian(), rng.nextGaussian()};
            double[] t = {rng.nextDouble(), rng.nextDouble()};
            System.out.printf("   3-4-3-2 %-11s largest relative error over %d parameters: %.1e%n",
                    f.label, parameters(net), gradientCheck(net, x, t));
        }
        System.out.println("   Anything below about 1e-6 means the derivatives are right; a mistake shows as 1e-3 or worse.");
    }

    static int parameters(NeuralNetwork net) {
        int count = 0;
        for (Neuron[] layer : net.layers) {
            for (Neuron n : layer) count += n.weights.length + 1;
        }
        return count;
    }

    static final double H = 1e-5;

    /** The largest relative difference between backprop's gradient and the numerical one. */
    static double gradientCheck(NeuralNetwork net, double[] x, double[] target) {
        net.backward(errorGradient(target, net.forward(x)));
        double worst = 0;
        for (Neuron[] layer : net.layers) {
            for (Neuron n : layer) {
                for (int i = 0; i < n.weights.length; i++) {
                    int k = i;
                    double numeric = numericGradient(net, x, target, n.weights[k], v -> n.weights[k] = v);
                    worst = Math.max(worst, relativeError(n.weightGradients[k], numeric));
                }
                double numeric = numericGradient(net, x, target, n.bias, v -> n.bias = v);
                worst = Math.max(worst, relativeError(n.biasGradient, numeric));
            }
        }
        return worst;
    }

    /** (E(p + h) - E(p - h)) / 2h for one parameter p, changed through set and then put back. */
    static double numericGradient(NeuralNetwork net, double[] x, double[] target, double p, DoubleConsumer set) {
        set.accept(p + H);
        double plus = error(target, net.forward(x));
        set.accept(p - H);
        double minus = error(target, net.forward(x));
        set.accept(p);
        return (plus - minus) / (2 * H);
    }

    /**
     * |a - b| relative to their size. Below 1e-4 we divide by 1e-4 instead: a central difference
     * in doubles is only good to about 1e-12, too coarse to compare the digits of a tiny gradient.
     */
    static double relativeError(double a, double b) {
        return Math.abs(a - b) / Math.max(Math.abs(a) + Math.abs(b), 1e-4);
    }

    // ---------------------------------------------------------------- exercises

    /** Exercise 1: the neuron of step 1, trained towards 0.3 with a small, a good and a huge step. */
    static void exerciseLearningRates() {
        System.out.println("Exercise 1: step 1's neuron trained towards t = 0.3 with three learning rates");
        System.out.println("   step    rate 0.5     rate 5       rate 50");
        double[] x = {1, 2}, t = {0.3};
        Neuron[] neurons = new Neuron[3];
        double[] rates = {0.5, 5, 50};
        for (int k = 0; k < 3; k++) neurons[k] = new Neuron(new double[] {0.5, -0.3}, 0.1, Activation.SIGMOID);
        for (int step = 0; step <= 10; step++) {
            System.out.printf("   %4d", step);
            for (int k = 0; k < 3; k++) {
                Neuron n = neurons[k];
                System.out.printf("   %.6f", n.forward(x));
                n.backward(n.output - t[0]);
                n.update(rates[k]);
            }
            System.out.println();
        }
        System.out.println("   rate 0.5 creeps towards 0.3; rate 5 overshoots and swings around 0.3, closing in fast;");
        System.out.println("   rate 50 throws z far below 0 in one step, where the sigmoid is flat, and stays stuck near 0.");
    }

    /** Exercise 2: does the tutorial's order still get there? 1,000 steps of the 1-2-1 exercise. */
    static void exerciseManySteps() {
        System.out.println("Exercise 2: the 1-2-1 network of step 3, trained for 1,000 steps both ways");
        NeuralNetwork right = exerciseNetwork(), tutorial = exerciseNetwork();
        double[] x = {1}, t = {1};
        for (int step = 1; step <= 1000; step++) {
            right.backpropagate(x, t, 0.8);
            backpropagateTutorialOrder(tutorial, x, t, 0.8);
            if (step == 1 || step == 10 || step == 100 || step == 1000) {
                System.out.printf("   step %4d  output %.6f (tutorial's order %.6f)  hidden w %.6f (%.6f)%n", step,
                        right.forward(x)[0], tutorial.forward(x)[0],
                        right.layers[0][0].weights[0], tutorial.layers[0][0].weights[0]);
            }
        }
        System.out.println("   Both reach the target: here the wrong order only bends the path a little.");
        System.out.println("   It is still not gradient descent, and a gradient check (step 5) would catch it.");
    }

    /** Exercise 3: the weight/height example without shifting the data first. */
    static void exerciseUnshiftedData(Random rng) {
        System.out.println("Exercise 3: the weight/height network on raw pounds and inches");
        double[][] raw = new double[PEOPLE.length][];
        for (int p = 0; p < PEOPLE.length; p++) raw[p] = new double[] {PEOPLE[p][0] + 135, PEOPLE[p][1] + 66};
        GenderNetwork net = new GenderNetwork(rng);
        double[] history = net.fit(raw, 1000, 0.1);
        System.out.printf("   loss at epoch 0: %.3f, after 1000 epochs: %.3f (shifted data reaches about 0.002)%n",
                history[0], history[1000]);
        System.out.println("   0.250 is the score of answering 0.5 for everyone: the network has learned nothing.");
        double h1 = sigmoid(net.w1 * 133 + net.w2 * 65 + net.b1);
        System.out.printf("   Alice's first hidden neuron: sigmoid(%.1f) = %.6f, slope %.2e%n",
                net.w1 * 133 + net.w2 * 65 + net.b1, h1, h1 * (1 - h1));
        System.out.println("   Inputs in the hundreds push every hidden sum far from 0, where the sigmoid is flat:");
        System.out.println("   its slope, and so every gradient through it, is almost zero. Centre your data.");
    }

    // ---------------------------------------------------------------- flags and errors

    static final String USAGE = "usage: java lessons/03/Backprop.java [--seed N] [--exercise 1|2|3]";

    /** A mistake the user can fix: main prints its message on one line and exits with 2. */
    static class UserError extends RuntimeException {
        UserError(String message) {
            super(message);
        }
    }

    record Options(long seed, int exercise) {
        static Options parse(String[] args) {
            long seed = 42;
            int exercise = 0;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--seed" -> seed = number(args, ++i, "--seed");
                    case "--exercise" -> exercise = (int) number(args, ++i, "--exercise");
                    default -> throw new UserError("unknown flag '" + args[i] + "'; " + USAGE);
                }
            }
            return new Options(seed, exercise);
        }

        static long number(String[] args, int i, String flag) {
            if (i >= args.length) throw new UserError(flag + " needs a number; " + USAGE);
            try {
                return Long.parseLong(args[i]);
            } catch (NumberFormatException e) {
                throw new UserError(flag + " needs a whole number, not '" + args[i] + "'; " + USAGE);
            }
        }
    }

    // ---------------------------------------------------------------- output files

    /** out/ in the course's top folder (found by walking up to the folder holding datasets/). */
    static Path outDir() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("datasets"))) return p.resolve("out");
        }
        return here.resolve("out");
    }

    /** Writes the chart, or says in one line why it could not. */
    static void save(Chart chart, Path png) {
        try {
            chart.save(png);
        } catch (IOException e) {
            throw new UserError("could not write " + png + ": " + e.getMessage());
        }
    }

    /** A line chart drawn with java.awt: axes, ticks, labels and a legend, saved as a PNG. */
    static class Chart {
        static final Color[] PALETTE = {
            new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
            new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75)};
        static final int WIDTH = 800, HEIGHT = 500, LEFT = 70, RIGHT = 20, TOP = 40, BOTTOM = 55;

        static {
            System.setProperty("java.awt.headless", "true"); // draw without a screen
        }

        record Series(String name, double[] x, double[] y, boolean dashed) {}

        final String title, xLabel, yLabel;
        final List<Series> series = new ArrayList<>();
        Double yMin, yMax;

        Chart(String title, String xLabel, String yLabel) {
            this.title = title;
            this.xLabel = xLabel;
            this.yLabel = yLabel;
        }

        void add(String name, double[] x, double[] y, boolean dashed) {
            series.add(new Series(name, x, y, dashed));
        }

        /** Fixes the y axis instead of fitting it to the data; points outside are clipped. */
        void yRange(double min, double max) {
            yMin = min;
            yMax = max;
        }

        BufferedImage draw() {
            double x0 = Double.MAX_VALUE, x1 = -Double.MAX_VALUE, y0 = Double.MAX_VALUE, y1 = -Double.MAX_VALUE;
            for (Series s : series) {
                for (double v : s.x) { x0 = Math.min(x0, v); x1 = Math.max(x1, v); }
                for (double v : s.y) { y0 = Math.min(y0, v); y1 = Math.max(y1, v); }
            }
            if (yMin != null) { y0 = yMin; y1 = yMax; }
            Axis xAxis = new Axis(x0, x1, LEFT, WIDTH - RIGHT);
            Axis yAxis = new Axis(y0, y1, HEIGHT - BOTTOM, TOP);

            BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            FontMetrics fm = g.getFontMetrics();

            // grid lines and tick labels
            for (double t : xAxis.ticks()) {
                int px = xAxis.pixel(t);
                g.setColor(new Color(230, 230, 230));
                g.drawLine(px, TOP, px, HEIGHT - BOTTOM);
                g.setColor(Color.DARK_GRAY);
                String label = xAxis.format(t);
                g.drawString(label, px - fm.stringWidth(label) / 2, HEIGHT - BOTTOM + 18);
            }
            for (double t : yAxis.ticks()) {
                int py = yAxis.pixel(t);
                g.setColor(new Color(230, 230, 230));
                g.drawLine(LEFT, py, WIDTH - RIGHT, py);
                g.setColor(Color.DARK_GRAY);
                String label = yAxis.format(t);
                g.drawString(label, LEFT - 8 - fm.stringWidth(label), py + fm.getAscent() / 2 - 1);
            }
            g.setColor(Color.BLACK);
            g.drawRect(LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);

            // the data, clipped to the plot area
            g.setClip(LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
            for (int s = 0; s < series.size(); s++) {
                Series line = series.get(s);
                Path2D.Double path = new Path2D.Double();
                path.moveTo(xAxis.position(line.x[0]), yAxis.position(line.y[0]));
                for (int i = 1; i < line.x.length; i++) {
                    path.lineTo(xAxis.position(line.x[i]), yAxis.position(line.y[i]));
                }
                g.setColor(PALETTE[s % PALETTE.length]);
                g.setStroke(stroke(line.dashed));
                g.draw(path);
            }
            g.setClip(null);

            // title, axis labels, legend
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.drawString(title, (WIDTH - g.getFontMetrics().stringWidth(title)) / 2, TOP - 14);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            fm = g.getFontMetrics();
            g.drawString(xLabel, LEFT + (WIDTH - LEFT - RIGHT - fm.stringWidth(xLabel)) / 2, HEIGHT - 14);
            Graphics2D rotated = (Graphics2D) g.create();
            rotated.rotate(-Math.PI / 2);
            rotated.drawString(yLabel, -(TOP + (HEIGHT - TOP - BOTTOM + fm.stringWidth(yLabel)) / 2), 20);
            rotated.dispose();
            drawLegend(g, xAxis, yAxis);
            g.dispose();
            return image;
        }

        /** The legend, in the top corner where it hides fewer data points. */
        void drawLegend(Graphics2D g, Axis xAxis, Axis yAxis) {
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            FontMetrics fm = g.getFontMetrics();
            int width = 0;
            for (Series s : series) width = Math.max(width, fm.stringWidth(s.name));
            int rowHeight = 20, boxWidth = width + 46, boxHeight = rowHeight * series.size() + 8, y = TOP + 12;
            int left = LEFT + 12, right = WIDTH - RIGHT - 12 - boxWidth;
            int x = hidden(left, y, boxWidth, boxHeight, xAxis, yAxis) <= hidden(right, y, boxWidth, boxHeight, xAxis, yAxis)
                    ? left : right;
            g.setStroke(new BasicStroke(1));
            g.setColor(Color.WHITE);
            g.fillRect(x, y, boxWidth, boxHeight);
            g.setColor(Color.GRAY);
            g.drawRect(x, y, boxWidth, boxHeight);
            for (int s = 0; s < series.size(); s++) {
                int rowY = y + 14 + s * rowHeight;
                g.setColor(PALETTE[s % PALETTE.length]);
                g.setStroke(stroke(series.get(s).dashed));
                g.drawLine(x + 8, rowY, x + 30, rowY);
                g.setColor(Color.BLACK);
                g.drawString(series.get(s).name, x + 38, rowY + fm.getAscent() / 2 - 1);
            }
        }

        /** How many data points would fall inside a box at (x, y). */
        int hidden(int x, int y, int width, int height, Axis xAxis, Axis yAxis) {
            int count = 0;
            for (Series s : series) {
                for (int i = 0; i < s.x.length; i++) {
                    double px = xAxis.position(s.x[i]), py = yAxis.position(s.y[i]);
                    if (px >= x && px <= x + width && py >= y && py <= y + height) count++;
                }
            }
            return count;
        }

        static BasicStroke stroke(boolean dashed) {
            return dashed
                    ? new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1, new float[] {7, 5}, 0)
                    : new BasicStroke(2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
        }

        /** Draws into a temporary file first, so a failure never leaves half a PNG behind. */
        void save(Path png) throws IOException {
            Path dir = png.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".chart", ".png");
            try {
                ImageIO.write(draw(), "png", tmp.toFile());
                Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Maps data values to pixels, and picks round tick values (1, 2 or 5 times a power of ten). */
    record Axis(double min, double max, int fromPixel, int toPixel) {
        Axis {
            if (max - min < 1e-12) { min -= 1; max += 1; }
        }

        double position(double v) {
            return fromPixel + (v - min) / (max - min) * (toPixel - fromPixel);
        }

        int pixel(double v) {
            return (int) Math.round(position(v));
        }

        double step() {
            double rough = (max - min) / 6;
            double power = Math.pow(10, Math.floor(Math.log10(rough)));
            for (double m : new double[] {1, 2, 5}) if (m * power >= rough) return m * power;
            return 10 * power;
        }

        List<Double> ticks() {
            double step = step();
            List<Double> ticks = new ArrayList<>();
            for (double t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) {
                ticks.add(Math.abs(t) < step * 1e-9 ? 0 : t);
            }
            return ticks;
        }

        String format(double v) {
            int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step()) - 1e-9));
            return String.format("%." + decimals + "f", v);
        }
    }
}
