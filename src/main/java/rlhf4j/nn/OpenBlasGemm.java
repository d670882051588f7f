package rlhf4j.nn;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * FP32 products straight through OpenBLAS's {@code cblas_sgemm} (the library ND4J itself links, with the thread
 * count ND4J set): the path of a machine where oneDNN does not load. ND4J's {@code Nd4j.gemm} reaches the same
 * routine through a custom op, which costs 40–150 µs per call around it: twice the product itself for the few-row
 * products of sampling (8×128 by 128×384: 85 µs against 39 µs).
 */
public final class OpenBlasGemm implements Gemm {
    public static final OpenBlasGemm INSTANCE = new OpenBlasGemm();

    private OpenBlasGemm() {}

    @Override
    public void gemm(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, float alpha, float beta) {
        Shape s = Shape.of(a, transA, b, transB, c, 2);
        if (s.onlyScales(c, beta)) {
            return;
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, s.m(), s.n(),
                s.k(), alpha, Gemm.pointer(a), (int) a.size(1), Gemm.pointer(b), (int) b.size(1), beta, Gemm.pointer(c),
                s.n());
    }

    @Override
    public void batched(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, float alpha, float beta) {
        Shape s = Shape.of(a, transA, b, transB, c, 3);
        if (s.onlyScales(c, beta)) {
            return;
        }
        FloatPointer pa = Gemm.pointer(a);
        FloatPointer pb = Gemm.pointer(b);
        FloatPointer pc = Gemm.pointer(c);
        long sa = a.size(1) * a.size(2);
        long sb = b.size(1) * b.size(2);
        long sc = (long) s.m() * s.n();
        int lda = (int) a.size(2);
        int ldb = (int) b.size(2);
        for (int g = 0; g < s.groups(); g++) {
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, s.m(),
                    s.n(), s.k(), alpha, pa.position(g * sa), lda, pb.position(g * sb), ldb, beta, pc.position(g * sc),
                    s.n());
        }
    }

    /** A plain b becomes a transposed copy [n, k]: with a few rows of a, x·Wᵀ runs 1.4–1.6× faster than x·W. */
    @Override
    public Operand constant(INDArray b, boolean transposed, Operand reuse) {
        if (transposed) {
            return new Operand(b, true, null);
        }
        INDArray copy = reuse != null && reuse.transposed() && Arrays.equals(reuse.array().shape(), b.transpose().shape())
                ? reuse.array() : Nd4j.createUninitialized(DataType.FLOAT, b.size(1), b.size(0));  // [n, k]
        copy.assign(b.transpose());
        return new Operand(copy, true, null);
    }

    @Override
    public String describe() {
        return "OpenBLAS, FP32";
    }
}
