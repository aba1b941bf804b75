package org.alibi4j.models.linalg;

/**
 * The plain-Java kernels: each weight row is widened into a float scratch row once and then dotted with
 * every input row, summing in order with four partial sums (independent chains, so the loop is not held
 * up by the add latency).
 */
final class ScalarKernels implements LinearKernels {

    @Override
    public String describe() {
        return "plain Java";
    }

    @Override
    public int columnBlock() {
        return 1;
    }

    @Override
    public void linear(Weights w, float[] bias, float[] x, int rows, float[] y, int from, int to) {
        int in = w.in();
        int out = w.out();
        float[] row = new float[in];
        for (int o = from; o < to; o++) {
            widen(w, o, row);
            float b = bias == null ? 0 : bias[o];
            for (int r = 0; r < rows; r++) {
                y[r * out + o] = dot(row, x, r * in, in) + b;
            }
        }
    }

    /** Row {@code o} of {@code w} as floats. */
    static void widen(Weights w, int o, float[] row) {
        for (int i = 0; i < row.length; i++) {
            row[i] = w.get(o, i);
        }
    }

    private static float dot(float[] row, float[] x, int x0, int n) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            s0 += row[i] * x[x0 + i];
            s1 += row[i + 1] * x[x0 + i + 1];
            s2 += row[i + 2] * x[x0 + i + 2];
            s3 += row[i + 3] * x[x0 + i + 3];
        }
        for (; i < n; i++) {
            s0 += row[i] * x[x0 + i];
        }
        return (s0 + s1) + (s2 + s3);
    }
}
