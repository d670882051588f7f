package rlhf4j.nn;

import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Matrix products of dense row-major FLOAT arrays ({@link FloatKernels#isDense}), {@code c = alpha·op(a)·op(b) +
 * beta·c}, op transposing when asked: the kernels' only products. One library computes each instance's products
 * ({@link OpenBlasGemm}, {@link DnnlGemm}); {@link Matmuls} chooses it for the machine.
 */
public interface Gemm {
    /** For 2-D a, b, c. */
    void gemm(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, float alpha, float beta);

    /** {@link #gemm} for each of the G matrices of 3-D a, b, c [G, rows, cols]. */
    void batched(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, float alpha, float beta);

    /**
     * A right operand of {@link #gemm(INDArray, boolean, Operand, INDArray, float, float)}: b, read transposed or
     * not, or, with a {@code layout}, the library's own packing of it, which only that library reads.
     */
    record Operand(INDArray array, boolean transposed, Object layout) {}

    /**
     * op(b) as this library's few-row products read it fastest, for an operand many products read unchanged:
     * decoding's weights, made once per generation. OpenBLAS reads a plain b faster as a transposed copy (8×128 by
     * 128×384 in half the time); oneDNN reads b packed in its kernels' blocked layout (in BF16 rounded to bfloat16
     * first), which spares each product packing (and converting) b: 1.6–2.9× faster at 16 rows. The default is b
     * itself. {@code reuse}: an earlier result for an array of b's shape, overwritten, or null.
     */
    default Operand constant(INDArray b, boolean transposed, Operand reuse) {
        return new Operand(b, transposed, null);
    }

    /** {@link #gemm} with a right operand from this library's {@link #constant}: 2-D a and c. */
    default void gemm(INDArray a, boolean transA, Operand b, INDArray c, float alpha, float beta) {
        if (b.layout() != null) {
            throw new IllegalArgumentException("an operand packed by another library: " + b.layout());
        }
        gemm(a, transA, b.array(), b.transposed(), c, alpha, beta);
    }

    /** What computes the products, for the engine line ("oneDNN, BF16 inputs"). */
    String describe();

    /** The product's sizes, checked: c is [groups, m, n], op(a) [groups, m, k], op(b) [groups, k, n]. */
    record Shape(int groups, int m, int n, int k) {
        static Shape of(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, int rank) {
            check(a, rank);
            check(b, rank);
            check(c, rank);
            int o = rank - 2;                                                   // the row dimension
            int groups = rank == 3 ? (int) c.size(0) : 1;
            int m = (int) c.size(o);
            int n = (int) c.size(o + 1);
            int k = (int) (transA ? a.size(o) : a.size(o + 1));
            boolean ok = (transA ? a.size(o + 1) : a.size(o)) == m && (transB ? b.size(o) : b.size(o + 1)) == n
                    && (transB ? b.size(o + 1) : b.size(o)) == k;
            if (rank == 3) {
                ok &= a.size(0) == groups && b.size(0) == groups;
            }
            if (!ok) {
                throw new IllegalArgumentException("gemm shapes: " + Arrays.toString(a.shape()) + (transA ? "ᵀ" : "")
                        + " x " + Arrays.toString(b.shape()) + (transB ? "ᵀ" : "") + " -> " + Arrays.toString(c.shape()));
            }
            return new Shape(groups, m, n, k);
        }

        /** A 2-D product whose right operand [k, n] is packed ({@link #constant}): only a and c are arrays. */
        static Shape of(INDArray a, boolean transA, int k, int n, INDArray c) {
            check(a, 2);
            check(c, 2);
            int m = (int) c.size(0);
            if ((transA ? a.size(1) : a.size(0)) != m || (transA ? a.size(0) : a.size(1)) != k || c.size(1) != n) {
                throw new IllegalArgumentException("gemm shapes: " + Arrays.toString(a.shape()) + (transA ? "ᵀ" : "")
                        + " x packed [" + k + ", " + n + "] -> " + Arrays.toString(c.shape()));
            }
            return new Shape(1, m, n, k);
        }

        /**
         * Whether there is nothing to multiply; then c has been scaled by beta (an empty sum is 0), all the product
         * does.
         */
        boolean onlyScales(INDArray c, float beta) {
            if (groups != 0 && m != 0 && n != 0 && k != 0) {
                return false;
            }
            if (beta == 0f) {
                c.assign(0f);
            } else if (beta != 1f) {
                c.muli(beta);
            }
            return true;
        }

        private static void check(INDArray x, int rank) {
            boolean dense = x.length() == 0 ? x.dataType() == DataType.FLOAT : FloatKernels.isDense(x);
            if (x.rank() != rank || !dense) {
                throw new IllegalArgumentException("a dense C-order FLOAT array of rank " + rank + " is needed, got "
                        + x.shapeInfoToString());
            }
        }
    }

    /** The array's floats from its buffer's start (dense arrays only). */
    static FloatPointer pointer(INDArray x) {
        return new FloatPointer(x.data().addressPointer());
    }
}
