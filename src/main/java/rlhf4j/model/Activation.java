package rlhf4j.model;

/**
 * The MLP's activation, by its Hugging Face {@code activation_function} name: both are GELU approximations
 * of the form {@code x·σ(a(x))}.
 */
public enum Activation {
    /** {@code x·σ(1.702x)} ({@code quick_gelu}): the models this project trains. */
    QUICK_GELU("quick_gelu"),
    /** {@code ½x(1 + tanh(√(2/π)(x + 0.044715x³))) = x·σ(2√(2/π)(x + 0.044715x³))} ({@code gelu_new}): GPT-2's. */
    GELU_NEW("gelu_new");

    private final String hfName;

    Activation(String hfName) {
        this.hfName = hfName;
    }

    /** The name in {@code config.json}. */
    public String hfName() {
        return hfName;
    }

    /** The activation of an {@code activation_function} name, or null for one this project does not compute. */
    public static Activation ofHfName(String name) {
        for (Activation a : values()) {
            if (a.hfName.equals(name)) {
                return a;
            }
        }
        return null;
    }
}
