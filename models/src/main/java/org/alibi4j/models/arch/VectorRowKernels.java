package org.alibi4j.models.arch;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The row kernels on the Vector API, at the JVM's preferred width; each row's last {@code n % L} elements
 * under a mask, so that every element goes through the same operations. Loaded only by
 * {@link RowVectorization}, and only where the module is present.
 *
 * <ul>
 *   <li>{@link Activation#GELU_TANH}: the float steps of {@link Activation#apply}, with the Vector API's
 *       lanewise {@code TANH} (the JDK's vector math library where the platform has one; {@code Math.tanh}
 *       lane by lane otherwise).</li>
 *   <li>{@link Activation#GELU_ERF}: {@code x / 2 * (1 + erf(z))}, {@code z = x / sqrt 2}, where
 *       {@code 1 + erf(z)} is {@code erfc(-z)} for {@code z < 0} and {@code 2 - erfc(z)} otherwise, so that it
 *       keeps its relative accuracy where it is tiny (large negative {@code x}) instead of cancelling.
 *       {@code erfc(a) = t exp(-a^2 - 1.26551223 + t P(t))}, {@code t = 1 / (1 + a / 2)}: the Chebyshev fit of
 *       Numerical Recipes' {@code erfcc}, relative error below 1.2e-7 for every {@code a >= 0}. {@code exp(-a^2)}
 *       is taken as {@code exp(-aa) exp(-(a^2 - aa))}, with {@code aa} the float square and {@code a^2 - aa}
 *       its exact remainder (a fused multiply-add), so that the large exponent loses nothing to rounding.</li>
 *   <li>Layer norm: the moments in double as the plain-Java kernel computes them, summed in double vectors
 *       (so in another order); the normalisation in the same float steps.</li>
 * </ul>
 */
final class VectorRowKernels implements RowKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int DL = D.length();
    /** As many floats as {@link #D} has doubles: half its width. */
    private static final VectorSpecies<Float> HALF = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));

    private static final float SQRT_HALF = (float) (1 / Math.sqrt(2));
    /** The coefficients of {@code P(t)} after the highest (0.17087277), highest first: Numerical Recipes' {@code erfcc}. */
    private static final float[] ERFC_FIT = {-0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f, -0.18628806f, 0.09678418f, 0.37409196f,
            1.00002368f, -1.26551223f};
    /** Past this, {@code exp(-a^2)} and so {@code erfc(a)} are 0 in float. */
    private static final float ERFC_ZERO = 10.5f;

    @Override
    public String describe() {
        return "Vector API " + F.vectorBitSize() + "-bit (" + L + " floats)";
    }

    @Override
    public void activate(Activation activation, float[] x, int n) {
        switch (activation) {
            case GELU_TANH -> {
                int i = 0;
                for (; i < F.loopBound(n); i += L) {
                    geluTanh(FloatVector.fromArray(F, x, i)).intoArray(x, i);
                }
                if (i < n) {
                    VectorMask<Float> lanes = F.indexInRange(i, n);
                    geluTanh(FloatVector.fromArray(F, x, i, lanes)).intoArray(x, i, lanes);
                }
            }
            case GELU_ERF -> {
                int i = 0;
                for (; i < F.loopBound(n); i += L) {
                    geluErf(FloatVector.fromArray(F, x, i)).intoArray(x, i);
                }
                if (i < n) {
                    VectorMask<Float> lanes = F.indexInRange(i, n);
                    geluErf(FloatVector.fromArray(F, x, i, lanes)).intoArray(x, i, lanes);
                }
            }
        }
    }

    /** {@code x * 0.5 * (1 + tanh(0.79788456 * x * (1 + 0.044715 * x * x)))}, in {@link Activation#GELU_TANH}'s float steps. */
    static FloatVector geluTanh(FloatVector x) {
        FloatVector u = x.mul(0.79788456f).mul(x.mul(0.044715f).mul(x).add(1.0f));
        return x.mul(0.5f).mul(u.lanewise(VectorOperators.TANH).add(1.0f));
    }

    /** {@code x * 0.5 * (1 + erf(x / sqrt 2))}. */
    static FloatVector geluErf(FloatVector x) {
        FloatVector z = x.mul(SQRT_HALF);
        FloatVector a = z.abs().min(ERFC_ZERO); // NaN stays NaN
        FloatVector t = FloatVector.broadcast(F, 1.0f).div(a.mul(0.5f).add(1.0f));
        FloatVector p = FloatVector.broadcast(F, 0.17087277f);
        for (float c : ERFC_FIT) {
            p = p.fma(t, FloatVector.broadcast(F, c));
        }
        FloatVector aa = a.mul(a);
        FloatVector remainder = a.fma(a, aa.neg()); // a * a - aa, exactly
        // the small factor last: erfc may be near the subnormal range, t exp(-aa) already in it
        FloatVector erfc = t.mul(p.sub(remainder).lanewise(VectorOperators.EXP)).mul(aa.neg().lanewise(VectorOperators.EXP));
        FloatVector onePlusErf = erfc.neg().add(2.0f).blend(erfc, z.compare(VectorOperators.LT, 0.0f));
        return x.mul(0.5f).mul(onePlusErf);
    }

    @Override
    public void layerNorm(Norm norm, float[] x, float[] out, int from, int to) {
        int width = norm.width();
        float[] weight = norm.weight();
        float[] bias = norm.bias();
        for (int r = from; r < to; r++) {
            int base = r * width;
            double mean = sum(x, base, width) / width;
            double squares = squaredDeviations(x, base, width, mean);
            float inverse = norm.inverseDeviation(squares / width);
            float m = (float) mean;
            int i = 0;
            for (; i < F.loopBound(width); i += L) {
                normalise(x, out, base, i, weight, bias, m, inverse, F.maskAll(true));
            }
            if (i < width) {
                normalise(x, out, base, i, weight, bias, m, inverse, F.indexInRange(i, width));
            }
        }
    }

    /** {@code out = (x - m) * inverse * weight + bias} for the lanes of {@code lanes} at element {@code i} of the row at {@code base}. */
    private static void normalise(float[] x, float[] out, int base, int i, float[] weight, float[] bias, float m, float inverse,
                                  VectorMask<Float> lanes) {
        FloatVector normalised = FloatVector.fromArray(F, x, base + i, lanes).sub(m).mul(inverse).mul(FloatVector.fromArray(F, weight, i, lanes));
        if (bias != null) {
            normalised = normalised.add(FloatVector.fromArray(F, bias, i, lanes));
        }
        normalised.intoArray(out, base + i, lanes);
    }

    /** {@code x[from .. from + n)} widened to double, summed in two vector accumulators. */
    private static double sum(float[] x, int from, int n) {
        DoubleVector s0 = DoubleVector.zero(D), s1 = s0;
        int i = 0;
        for (; i + 2 * DL <= n; i += 2 * DL) {
            s0 = s0.add(widen(x, from + i));
            s1 = s1.add(widen(x, from + i + DL));
        }
        for (; i + DL <= n; i += DL) {
            s0 = s0.add(widen(x, from + i));
        }
        double sum = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += x[from + i];
        }
        return sum;
    }

    /** The sum of {@code (x[i] - mean)^2} over {@code x[from .. from + n)}, in double. */
    private static double squaredDeviations(float[] x, int from, int n, double mean) {
        DoubleVector s0 = DoubleVector.zero(D), s1 = s0;
        int i = 0;
        for (; i + 2 * DL <= n; i += 2 * DL) {
            DoubleVector d0 = widen(x, from + i).sub(mean);
            DoubleVector d1 = widen(x, from + i + DL).sub(mean);
            s0 = d0.fma(d0, s0);
            s1 = d1.fma(d1, s1);
        }
        for (; i + DL <= n; i += DL) {
            DoubleVector d = widen(x, from + i).sub(mean);
            s0 = d.fma(d, s0);
        }
        double squares = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            double d = x[from + i] - mean;
            squares += d * d;
        }
        return squares;
    }

    /** {@link #DL} floats from {@code x[at]}, widened exactly to double. */
    private static DoubleVector widen(float[] x, int at) {
        return (DoubleVector) FloatVector.fromArray(HALF, x, at).convertShape(VectorOperators.F2D, D, 0);
    }
}
