import java.util.Arrays;
import java.util.Map;
import java.util.Random;

/** Lesson 03's checks: a neuron's forward, backward and update, the network's backward, one full step, step 4's train. */
class BackpropCheck extends Checks {
    static Map<String, String> verdicts() {
        return new Checks()
                .hole("Neuron.forward", BackpropCheck::neuronForward)
                .hole("Neuron.backward", BackpropCheck::neuronBackward)
                .hole("Neuron.update", BackpropCheck::neuronUpdate)
                .hole("errorGradient", BackpropCheck::errorGradient)
                .hole("NeuralNetwork.backward", BackpropCheck::networkBackward)
                .hole("NeuralNetwork.backpropagate", BackpropCheck::backpropagate)
                .hole("GenderNetwork.train", BackpropCheck::genderTrain)
                .verdicts;
    }

    static Backprop.Neuron stepOne() {
        return new Backprop.Neuron(new double[] {0.5, -0.3}, 0.1, Backprop.Activation.SIGMOID);
    }

    static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    static void neuronForward() {
        Backprop.Neuron n = new Backprop.Neuron(new double[] {0.5, -0.3}, 0.2, Backprop.Activation.TANH);
        double[] x = {1, 2};
        near(Math.tanh(0.5 - 0.6 + 0.2), n.forward(x), "tanh(0.5*1 - 0.3*2 + 0.2)", "");
        near(n.output, Math.tanh(0.1), "the output field to hold the y of the last forward pass", "");
        that(n.inputs != null && Arrays.equals(n.inputs, new double[] {1, 2}), "the inputs field should hold the x of the last forward pass");
        x[0] = 99;
        that(n.inputs[0] == 1, "changing the caller's array afterwards changed the neuron's inputs -- keep a copy (x.clone())");
    }

    /** The slopes of E = 1/2 (t - y)^2 for one neuron, by central differences, against what backward stored. */
    static void neuronBackward() {
        Backprop.Neuron n = stepOne();
        remember(n, new double[] {1, 2});
        double[] dEdx = n.backward(n.output - 1);
        near(-0.125, n.weightGradients[0], "dE/dw1 in step 1", "delta = dE/dy * y(1 - y) = -0.5 * 0.25, times x1 = 1");
        near(-0.25, n.weightGradients[1], "dE/dw2 in step 1", "delta times x2 = 2");
        near(-0.125, n.biasGradient, "dE/db in step 1", "dE/db is delta itself");
        that(dEdx.length == 2, "backward should return one dE/dx per input, returned " + dEdx.length);
        near(-0.0625, dEdx[0], "dE/dx1 in step 1", "pass back delta * w1, with the weight of the forward pass");
        that(n.weights[0] == 0.5 && n.bias == 0.1, "backward changed the weights -- leave that to update");
        Random rng = new Random(5);
        for (Backprop.Activation f : Backprop.Activation.values()) {
            double[] w = {rng.nextGaussian(), rng.nextGaussian(), rng.nextGaussian()}, x = {0.3, -1.2, 2.1};
            double b = 0.4, t = 0.7;
            Backprop.Neuron m = new Backprop.Neuron(w.clone(), b, f);
            remember(m, x);
            double[] back = m.backward(m.output - t);
            for (int i = 0; i < 3; i++) {
                int k = i;
                near(slope(v -> { double[] c = w.clone(); c[k] = v; return error(f, c, b, x, t); }, w[k]), m.weightGradients[k], 1e-5,
                        f.label + " neuron: dE/dw" + (k + 1) + " by central differences", "delta * x_i, with delta = dE/dy * f'(y)");
                near(slope(v -> { double[] c = x.clone(); c[k] = v; return error(f, w, b, c, t); }, x[k]), back[k], 1e-5,
                        f.label + " neuron: dE/dx" + (k + 1) + " by central differences", "delta * w_i");
            }
            near(slope(v -> error(f, w, v, x, t), b), m.biasGradient, 1e-5, f.label + " neuron: dE/db by central differences", "");
        }
    }

    /** What forward would leave behind, set here so that backward is checked on its own. */
    static double remember(Backprop.Neuron n, double[] x) {
        double z = n.bias;
        for (int i = 0; i < x.length; i++) z += n.weights[i] * x[i];
        n.inputs = x.clone();
        n.output = n.activation.apply(z);
        return n.output;
    }

    static double error(Backprop.Activation f, double[] w, double b, double[] x, double t) {
        double z = b;
        for (int i = 0; i < w.length; i++) z += w[i] * x[i];
        return 0.5 * Math.pow(t - f.apply(z), 2);
    }

    static void neuronUpdate() {
        Backprop.Neuron n = stepOne();
        n.weightGradients[0] = -0.125;
        n.weightGradients[1] = -0.25;
        n.biasGradient = -0.125;
        n.update(0.5);
        near(0.5625, n.weights[0], "w1 after one step of 0.5", "w1 - 0.5 * (-0.125): against the gradient");
        near(-0.175, n.weights[1], "w2 after one step of 0.5", "");
        near(0.1625, n.bias, "the bias after one step of 0.5", "b - 0.5 * dE/db");
    }

    static void errorGradient() {
        double[] t = {1, 0, 0.5}, o = {0.2, 0.9, 0.5};
        double[] g = Backprop.errorGradient(t, o);
        that(g.length == 3, "one slope per output, got " + g.length);
        for (int i = 0; i < 3; i++) {
            int k = i;
            double numeric = slope(v -> { double[] c = o.clone(); c[k] = v; return halfSquares(t, c); }, o[k]);
            near(numeric, g[k], 1e-6, "dE/do" + (k + 1) + " by central differences", "o - t, not t - o: the sign decides the direction of every step");
        }
        refuses(() -> Backprop.errorGradient(new double[] {1, 0}, new double[] {1}),
                "2 targets and 1 output should throw IllegalArgumentException naming both sizes");
    }

    static double halfSquares(double[] t, double[] o) {
        double sum = 0;
        for (int i = 0; i < t.length; i++) sum += (t[i] - o[i]) * (t[i] - o[i]);
        return sum / 2;
    }

    /** Every weight's and bias's gradient in a 3-4-2 network against central differences of E. */
    static void networkBackward() {
        for (Backprop.Activation f : new Backprop.Activation[] {Backprop.Activation.SIGMOID, Backprop.Activation.TANH}) {
            Random rng = new Random(11);
            Backprop.NeuralNetwork net = Backprop.NeuralNetwork.random(new int[] {3, 4, 2}, f, rng);
            double[] x = {0.5, -1, 2}, t = {0.2, 0.8};
            double[] o = run(net, x, true);
            double[] gradient = new double[2];
            for (int i = 0; i < 2; i++) gradient[i] = o[i] - t[i];
            double before = net.layers[0][0].weights[0];
            net.backward(gradient);
            that(net.layers[0][0].weights[0] == before, "backward changed a weight -- leave that to update");
            for (int l = 0; l < 2; l++) {
                for (Backprop.Neuron n : net.layers[l]) {
                    for (int i = 0; i < n.weights.length; i++) {
                        int k = i;
                        double numeric = slope(v -> { double keep = n.weights[k]; n.weights[k] = v; double e = halfSquares(t, run(net, x, false)); n.weights[k] = keep; return e; }, n.weights[k]);
                        near(numeric, n.weightGradients[k], 1e-5, (l == 0 ? "a hidden" : "an output") + " weight's dE/dw by central differences ("
                                + f.label + ")", l == 0 ? "a hidden neuron's dE/dy is the sum of delta_j * w_j over the neurons it feeds" : "");
                    }
                }
            }
        }
    }

    /** The network's output, computed here (and remembered by every neuron, if asked) so that forward is not involved. */
    static double[] run(Backprop.NeuralNetwork net, double[] x, boolean keep) {
        for (Backprop.Neuron[] layer : net.layers) {
            double[] next = new double[layer.length];
            for (int j = 0; j < layer.length; j++) {
                double[] inputs = layer[j].inputs;
                double output = layer[j].output;
                next[j] = remember(layer[j], x);
                if (!keep) { layer[j].inputs = inputs; layer[j].output = output; }
            }
            x = next;
        }
        return x;
    }

    /** The tutorial's exercise: 1-2-1, every weight 0.5, input 1, target 1, rate 0.8, one step. */
    static void backpropagate() {
        Backprop.Neuron[] hidden = {new Backprop.Neuron(new double[] {0.5}, 0, Backprop.Activation.SIGMOID),
            new Backprop.Neuron(new double[] {0.5}, 0, Backprop.Activation.SIGMOID)};
        Backprop.Neuron[] output = {new Backprop.Neuron(new double[] {0.5, 0.5}, 0, Backprop.Activation.SIGMOID)};
        Backprop.NeuralNetwork net = new Backprop.NeuralNetwork(new Backprop.Neuron[][] {hidden, output});
        net.backpropagate(new double[] {1}, new double[] {1}, 0.8);
        near(0.539521881139, output[0].weights[0], 1e-11, "the output neuron's w1 after one step", "");
        double w = hidden[0].weights[0];
        near(0.507460558719, w, 1e-11, "the hidden neurons' w1 after one step",
                Math.abs(w - 0.508050269349) < 1e-9 ? "did you update before passing the error back?" : "");
        near(0.007460558719, hidden[1].bias, 1e-11, "the second hidden neuron's bias after one step", "");
    }

    /** One step of train moves every parameter by -rate * dL/dp, with L = (y - o)^2 at the old parameters. */
    static void genderTrain() {
        Backprop.GenderNetwork net = new Backprop.GenderNetwork(new Random(42));
        double[] p = params(net), x = {-2, -1};
        double rate = 0.1, y = 1;
        net.train(x, y, rate);
        double[] after = params(net);
        String[] names = {"w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3"};
        for (int k = 0; k < 9; k++) {
            int i = k;
            double dL = slope(v -> { double[] c = p.clone(); c[i] = v; return Math.pow(y - predict(c, x), 2); }, p[k]);
            near(p[k] - rate * dL, after[k], 1e-7, names[k] + " after one step on Alice (from central differences of L = (y - o)^2)",
                    k < 4 || k == 6 || k == 7 ? "a hidden delta uses w5 or w6 as they were before the step" : "");
        }
    }

    static double[] params(Backprop.GenderNetwork n) {
        return new double[] {n.w1, n.w2, n.w3, n.w4, n.w5, n.w6, n.b1, n.b2, n.b3};
    }

    static double predict(double[] p, double[] x) {
        double h1 = sigmoid(p[0] * x[0] + p[1] * x[1] + p[6]), h2 = sigmoid(p[2] * x[0] + p[3] * x[1] + p[7]);
        return sigmoid(p[4] * h1 + p[5] * h2 + p[8]);
    }
}
