import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * Follows: the UPM hands-on, sections 3c "Backpropagation on a neuron" and 3d "Backpropagation
 * on the full network" (its exercises 4 and 5), and "Training a Neural Network" (the
 * hand-derived weight/height network) of Ex10si0n's chapter 3, after Victor Zhou; see
 * README.md for the authors and link.
 * New here: Neuron.backward and Neuron.update; Activation.derivative; NeuralNetwork.backward,
 * update and backpropagate; error and errorGradient (E = 1/2 sum (t - y)^2, dE/dy = y - t); a
 * gradient check against central differences.
 * Carried: Neuron, Activation and NeuralNetwork from lesson 02, with the changes below.
 * Changed: Neuron: remembers the input and output of its last forward pass (backward needs
 * them), stores its gradients, and gains backward (the chain rule) and update (one step of
 * gradient descent); forward and random now do the sum and the draws inline, without dot and
 * uniform. Activation: gains derivative(y), each activation's slope written from its output,
 * and formula, that slope as text. NeuralNetwork: gains backward, update and backpropagate.
 * Lesson 02's mse is not needed here: error takes its place.
 *
 * Run: java lessons/03/Backprop.java [--seed N] [--rate X] [--epochs N] [--exercise 1|2|3]
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

    static final String USAGE = """
            java lessons/03/Backprop.java [--seed N] [--rate X] [--epochs N] [--exercise 1|2|3]
              --seed N       seed of step 4's starting weights and step 5's random networks (default 42)
              --rate X       the learning rate of step 4's weight/height network (default 0.1)
              --epochs N     epochs of step 4's weight/height network (default 1000)
              --exercise N   run exercise N of the README instead of the lesson""";

    public static void main(String[] args) {
        try {
            Flags flags = Flags.parse(args);
            long seed = flags.number("--seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
            double rate = flags.decimal("--rate", 0.1, 1e-6, 100);
            int epochs = (int) flags.number("--epochs", 1000, 1, 100_000);
            switch ((int) flags.number("--exercise", 0, 0, 3)) {
                case 1 -> exerciseLearningRates();
                case 2 -> exerciseManySteps();
                case 3 -> exerciseUnshiftedData(seed);
                default -> lesson(new Random(seed), epochs, rate);
            }
        } catch (UserError e) {
            System.err.println("Backprop: " + e.getMessage());
            System.exit(2);
        }
    }

    static void lesson(Random rng, int epochs, double rate) {
        System.out.println("Lesson 03: backpropagation, the chain rule run backwards");
        oneNeuron();
        derivatives();
        tutorialExercise();
        genderNetwork(rng, epochs, rate);
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
        System.out.println("   plot: " + derivativeChart().save("03-derivatives.png"));
    }

    static Chart derivativeChart() {
        int points = 601;
        double[] z = new double[points];
        for (int i = 0; i < points; i++) z[i] = -6 + 12.0 * i / (points - 1);
        Chart chart = new Chart("Derivatives of the activations", "z", "f'(z)");
        for (Activation f : Activation.values()) {
            double[] slope = new double[points];
            for (int i = 0; i < points; i++) slope[i] = f.derivative(f.apply(z[i]));
            chart.add(f.label, z, slope, f == Activation.LEAKY_RELU ? Chart.Style.DASHED : Chart.Style.LINE); // it covers ReLU for z > 0
        }
        chart.yRange = new double[] {-0.1, 1.2};
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

        /** The mean squared error over the four people (one output each): sum (t - o)^2 / 4. */
        double loss(double[][] people) {
            double sum = 0;
            for (int p = 0; p < people.length; p++) sum += Math.pow(FEMALE[p] - predict(people[p]), 2);
            return sum / people.length;
        }

        /**
         * Trains for the given epochs; history[e] is the MSE after e epochs (history[0]: before
         * training). An MSE that is no longer a number stops the run with a UserError.
         */
        double[] fit(double[][] people, int epochs, double learningRate) {
            double[] history = new double[epochs + 1];
            history[0] = loss(people);
            for (int epoch = 1; epoch <= epochs; epoch++) {
                for (int p = 0; p < people.length; p++) train(people[p], FEMALE[p], learningRate);
                history[epoch] = loss(people);
                stopIfDiverged(history[epoch], epoch, learningRate);
            }
            return history;
        }
    }

    /** Step 4: the weight/height example, trained for 1,000 epochs (by default); the MSE every hundredth of the way. */
    static void genderNetwork(Random rng, int epochs, double rate) {
        System.out.println("\n4. A hand-derived 2-2-1 network learns gender from weight and height (learning rate " + rate + ")");
        GenderNetwork net = new GenderNetwork(rng);
        double[] history = net.fit(PEOPLE, epochs, rate);
        System.out.printf("   before training: MSE %.3f%n", history[0]);
        int step = Math.max(1, epochs / 100), shown = 0;
        for (int epoch = step; epoch <= epochs; epoch += step) {
            System.out.printf("   epoch %4d MSE %.3f%s", epoch, history[epoch], ++shown % 5 == 0 ? "\n" : "");
        }
        if (shown % 5 != 0) System.out.println();
        System.out.printf("   after %d epochs the MSE is %.4f%n", epochs, history[epochs]);
        double emily = net.predict(new double[] {-7, -3}), frank = net.predict(new double[] {20, 2});
        System.out.printf("   Emily (128 lb, 63 in): %.3f -> %s%n", emily, emily > 0.5 ? "F" : "M");
        System.out.printf("   Frank (155 lb, 68 in): %.3f -> %s%n", frank, frank > 0.5 ? "F" : "M");
        double[] epochNumbers = new double[history.length];
        for (int i = 0; i < epochNumbers.length; i++) epochNumbers[i] = i;
        Chart chart = new Chart("Weight/height network: training loss", "epoch", "mean squared error");
        chart.add("MSE over the four people", epochNumbers, history, Chart.Style.LINE);
        chart.yRange = new double[] {0, history[0] * 1.05};
        System.out.println("   plot: " + chart.save("03-gender-loss.png"));
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
    static void exerciseUnshiftedData(long seed) {
        System.out.println("Exercise 3: the weight/height network on raw pounds and inches");
        double[][] raw = new double[PEOPLE.length][];
        for (int p = 0; p < PEOPLE.length; p++) raw[p] = new double[] {PEOPLE[p][0] + 135, PEOPLE[p][1] + 66};
        GenderNetwork net = new GenderNetwork(new Random(seed));
        double[] history = net.fit(raw, 1000, 0.1);
        double shifted = new GenderNetwork(new Random(seed)).fit(PEOPLE, 1000, 0.1)[1000];
        System.out.printf("   MSE before training %.3f, after 1000 epochs %.3f (shifted data, same starting weights: %.4f)%n",
                history[0], history[1000], shifted);
        double constant = 0; // the best single answer for everyone is the share of women, and its MSE is
        for (double f : FEMALE) constant += f / FEMALE.length;
        double best = 0;
        for (double f : FEMALE) best += (f - constant) * (f - constant) / FEMALE.length;
        boolean nothing = history[1000] > 0.9 * best;
        System.out.printf("   %.3f is the MSE of answering %.1f for everyone: %s%n", best, constant,
                nothing ? "the network has learned nothing more than that." : "the network did better than that.");
        double z = net.w1 * 133 + net.w2 * 65 + net.b1, h1 = sigmoid(z);
        System.out.printf("   Alice's first hidden neuron: sigmoid(%.1f) = %.6f, slope %.2e%n", z, h1, h1 * (1 - h1));
        if (h1 * (1 - h1) < 1e-6) {
            System.out.println("   Inputs in the hundreds push the hidden sums far from 0, where the sigmoid is flat:");
            System.out.println("   its slope, and so every gradient through it, is almost zero. Centre your data.");
        } else {
            System.out.println("   This neuron still has some slope; look at the others. Inputs in the hundreds");
            System.out.println("   push hidden sums far from 0, where the sigmoid is flat. Centre your data.");
        }
    }

    // ==================================================================================== plumbing
    // Flags, user errors, folders, PNG files and charts: the same code, byte for byte, in every
    // lesson (the chart only in those that draw one). None of it is about neural networks; you
    // can stop reading here.

    static {
        System.setProperty("java.awt.headless", "true"); // draw pictures without a screen
        Locale.setDefault(Locale.ROOT); // print 0.5, not 0,5, whatever the machine's language
    }

    /** A mistake the user can fix: main prints its message on one line and exits with 2. */
    static class UserError extends RuntimeException {
        UserError(String message) {
            super(message);
        }
    }

    /** The command line: "--name value" pairs and "--switch"es, each checked against USAGE. */
    record Flags(Map<String, String> given) {
        static Flags parse(String[] args) {
            Flags flags = new Flags(new HashMap<>());
            String usage = "; usage: " + USAGE.lines().findFirst().orElseThrow();
            for (int i = 0; i < args.length; i++) {
                String name = args[i];
                boolean isSwitch = USAGE.contains("[" + name + "]"), known = isSwitch || USAGE.contains("[" + name + " ");
                if (name.equals("--help")) System.out.println("usage: " + USAGE + "\n  --out DIR      where pictures go (default: out/ at the course's top)");
                if (name.equals("--help")) System.exit(0);
                if (!known && !name.equals("--out")) throw new UserError("unknown flag '" + name + "'" + usage);
                if (flags.given.containsKey(name)) throw new UserError(name + " is given twice" + usage);
                if (!isSwitch && i + 1 == args.length) throw new UserError(name + " needs a value" + usage);
                flags.given.put(name, isSwitch ? "" : args[++i]);
            }
            if (flags.given.containsKey("--out")) out = Path.of(flags.given.get("--out"));
            return flags;
        }

        boolean has(String name) {
            return given.containsKey(name);
        }

        /** The whole number given with a flag (or the fallback), which must lie in [min, max]. */
        long number(String name, long fallback, long min, long max) {
            String text = given.getOrDefault(name, "" + fallback);
            try {
                long value = Long.parseLong(text.strip());
                if (value >= min && value <= max) return value;
            } catch (NumberFormatException e) {
                // said below, with the range
            }
            String range = min == Long.MIN_VALUE ? "" : " from " + min + " to " + max;
            throw new UserError(name + " takes a whole number" + range + ", not '" + text + "'");
        }

        /** The number given with a flag (or the fallback), which must lie in [min, max]. */
        double decimal(String name, double fallback, double min, double max) {
            String text = given.getOrDefault(name, "" + fallback);
            try {
                double value = Double.parseDouble(text.strip());
                if (value >= min && value <= max) return value; // never NaN or infinite
            } catch (NumberFormatException e) {
                // said below, with the range
            }
            throw new UserError(name + " takes a number from " + min + " to " + max + ", not '" + text + "'");
        }
    }

    /** Stops a run whose loss is no longer a number: the steps overshoot and the weights blow up. */
    static void stopIfDiverged(double loss, int epoch, double rate) {
        if (!Double.isFinite(loss)) {
            throw new UserError("the loss became " + (loss > 0 ? "Infinity" : "undefined") + " at epoch " + epoch
                    + ": the learning rate " + rate + " is too large; try " + rate / 10);
        }
    }

    /** Where pictures go: the folder given with --out, else out/ at the course's top. */
    static Path out;

    static Path outDir() {
        return out != null ? out : courseDir().resolve("out");
    }

    /** The course's top folder: the nearest one, from the working folder up, that holds datasets/. */
    static Path courseDir() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) if (Files.isDirectory(p.resolve("datasets"))) return p;
        return here;
    }

    /** Writes a PNG through a temporary file, so that a failure never leaves half a picture. */
    static Path savePng(BufferedImage image, String name) {
        Path dir = outDir().toAbsolutePath(), png = dir.resolve(name);
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UserError("cannot write " + name + ": " + dir + " is a file, not a folder; move it or give --out DIR");
        }
        try {
            Files.createDirectories(dir);
            Path partial = Files.createTempFile(dir, ".partial-", ".png");
            try {
                ImageIO.write(image, "png", partial.toFile());
                Files.move(partial, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(partial);
            }
        } catch (IOException e) {
            throw new UserError("could not write " + png + " (" + e.getMessage() + "); free some disk space or give --out DIR");
        }
        Path here = Path.of("").toAbsolutePath();
        return png.startsWith(courseDir()) ? here.relativize(png) : png; // out/x.png, not /home/.../out/x.png
    }

    // ---------------------------------------------------------------- charts, in the lessons that draw one

    /** A chart of lines or points, 800 x 500, with round ticks, axis labels and a legend. */
    static class Chart {
        enum Style { LINE, DASHED, DOTS, RINGS }

        record Series(String name, double[] x, double[] y, Style style) {}

        static final Color[] COLOURS = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
            new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75), Color.DARK_GRAY};
        static final int LEFT = 80, RIGHT = 780, TOP = 40, BOTTOM = 445; // the plot area, in pixels
        final String title, xLabel, yLabel;
        final List<Series> series = new ArrayList<>();
        final List<String> names = new ArrayList<>(); // series with one name share a colour and a legend row
        double[] xRange, yRange; // fitted to the data unless a lesson fixes yRange
        boolean logY; // a logarithmic y axis: every factor of ten gets the same height

        Chart(String title, String xLabel, String yLabel) {
            this.title = title;
            this.xLabel = xLabel;
            this.yLabel = yLabel;
        }

        Chart add(String name, double[] x, double[] y, Style style) {
            if (x.length != y.length) throw new IllegalArgumentException(x.length + " x values but " + y.length + " y values");
            series.add(new Series(name, x, y, style));
            if (!names.contains(name)) names.add(name);
            return this;
        }

        Path save(String name) {
            return savePng(draw(), name);
        }

        BufferedImage draw() {
            xRange = range(true);
            yRange = yRange != null ? yRange : range(false);
            BufferedImage image = new BufferedImage(800, 500, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.fillRect(0, 0, 800, 500);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            FontMetrics fm = g.getFontMetrics();
            for (double t : ticks(xRange, false)) {
                g.setColor(new Color(232, 232, 232));
                g.drawLine((int) x(t), TOP, (int) x(t), BOTTOM);
                g.setColor(Color.BLACK);
                g.drawString(label(t), (int) x(t) - fm.stringWidth(label(t)) / 2, BOTTOM + 18);
            }
            for (double t : ticks(yRange, logY)) {
                g.setColor(new Color(232, 232, 232));
                g.drawLine(LEFT, (int) y(t), RIGHT, (int) y(t));
                g.setColor(Color.BLACK);
                g.drawString(label(t), LEFT - 8 - fm.stringWidth(label(t)), (int) y(t) + 4);
            }
            g.setClip(LEFT, TOP, RIGHT - LEFT, BOTTOM - TOP);
            for (Series s : series) {
                Path2D.Double line = new Path2D.Double();
                for (int i = 0; i < s.x.length; i++) {
                    if (i == 0) line.moveTo(x(s.x[i]), y(s.y[i])); else line.lineTo(x(s.x[i]), y(s.y[i]));
                    if (s.style == Style.DOTS || s.style == Style.RINGS) mark(g, s, x(s.x[i]), y(s.y[i]), null);
                }
                if (s.style == Style.LINE || s.style == Style.DASHED) mark(g, s, 0, 0, line);
            }
            g.setClip(null);
            g.setStroke(new BasicStroke(1));
            g.setColor(Color.BLACK);
            g.drawRect(LEFT, TOP, RIGHT - LEFT, BOTTOM - TOP);
            g.drawString(xLabel, (LEFT + RIGHT - fm.stringWidth(xLabel)) / 2, 484);
            g.rotate(-Math.PI / 2);
            g.drawString(yLabel, -(TOP + BOTTOM + fm.stringWidth(yLabel)) / 2, 18);
            g.rotate(Math.PI / 2);
            int width = 0, top = TOP + 10, height = 20 * names.size() + 8;
            for (String name : names) width = Math.max(width, fm.stringWidth(name) + 46);
            int left = hidden(LEFT + 10, top, width, height) < hidden(RIGHT - 10 - width, top, width, height)
                    ? LEFT + 10 : RIGHT - 10 - width; // the top corner where the legend hides fewer points
            g.setColor(Color.WHITE);
            g.fillRect(left, top, width, height);
            for (Series s : series) {
                int rowY = top + 14 + 20 * names.indexOf(s.name);
                mark(g, s, left + 19, rowY, s.style == Style.LINE || s.style == Style.DASHED ? new Line2D.Double(left + 8, rowY, left + 30, rowY) : null);
                g.setColor(Color.BLACK);
                g.drawString(s.name, left + 38, rowY + 5);
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.drawString(title, (800 - g.getFontMetrics().stringWidth(title)) / 2, TOP - 14);
            g.dispose();
            return image;
        }

        /** Draws the line, or else a dot or a ring at (px, py), in the colour of the series' name. */
        void mark(Graphics2D g, Series s, double px, double py, Shape line) {
            g.setColor(COLOURS[names.indexOf(s.name) % COLOURS.length]);
            g.setStroke(s.style == Style.DASHED
                    ? new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1, new float[] {7, 5}, 0)
                    : new BasicStroke(s.style == Style.LINE ? 2.5f : 1.5f));
            if (line != null) g.draw(line);
            else if (s.style == Style.DOTS) g.fill(new Ellipse2D.Double(px - 3, py - 3, 6, 6));
            else g.draw(new Ellipse2D.Double(px - 6, py - 6, 12, 12));
        }

        /** How many data points a box at (left, top) would cover. */
        int hidden(int left, int top, int width, int height) {
            int count = 0;
            for (Series s : series) {
                for (int i = 0; i < s.x.length; i++) {
                    double px = x(s.x[i]), py = y(s.y[i]);
                    if (px >= left && px <= left + width && py >= top && py <= top + height) count++;
                }
            }
            return count;
        }

        double x(double v) {
            return LEFT + (v - xRange[0]) / (xRange[1] - xRange[0]) * (RIGHT - LEFT);
        }

        double y(double v) {
            double[] r = yRange;
            double t = logY ? Math.log(v / r[0]) / Math.log(r[1] / r[0]) : (v - r[0]) / (r[1] - r[0]);
            return BOTTOM - t * (BOTTOM - TOP);
        }

        /** The smallest and largest finite x (or y) values; a log axis skips those at or below zero. */
        double[] range(boolean ofX) {
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (Series s : series) {
                for (double v : ofX ? s.x : s.y) {
                    if (Double.isFinite(v) && (ofX || !logY || v > 0)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
                }
            }
            if (lo > hi) { lo = 1; hi = 10; }
            if (hi - lo <= 1e-12 * Math.abs(hi)) return new double[] {lo - 1, hi + 1};
            boolean points = series.stream().anyMatch(s -> s.style == Style.DOTS || s.style == Style.RINGS);
            double margin = points && (ofX || !logY) ? 0.03 * (hi - lo) : 0; // whole dots, not halves, at the edges
            return new double[] {lo - margin, hi + margin};
        }

        /** Round values to mark on an axis: 1, 2 or 5 times a power of ten apart, or the powers of ten on a log axis. */
        static List<Double> ticks(double[] r, boolean log) {
            List<Double> ticks = new ArrayList<>();
            double step = Math.pow(10, Math.floor(Math.log10((r[1] - r[0]) / 5)));
            step *= (r[1] - r[0]) / step > 25 ? 5 : (r[1] - r[0]) / step > 10 ? 2 : 1;
            for (long k = (long) Math.ceil(r[0] / step); !log && k * step <= r[1] + step / 1e6; k++) ticks.add(k * step);
            for (double t = Math.pow(10, Math.ceil(Math.log10(r[0]))); log && t <= r[1] * 1.000001; t *= 10) ticks.add(t);
            return ticks;
        }

        static String label(double t) {
            return new BigDecimal(t).round(new MathContext(4)).stripTrailingZeros().toPlainString();
        }
    }
}
