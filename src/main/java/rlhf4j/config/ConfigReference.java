package rlhf4j.config;

import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;

/**
 * Generates the Markdown reference of every configuration key (dotted key, type, default, meaning) from
 * the records' {@link Doc} annotations and defaults, so the documentation cannot drift from the code.
 */
public final class ConfigReference {
    private ConfigReference() {
    }

    /** A Markdown table of every dotted key of {@link ExperimentConfig}. */
    public static String markdown() {
        StringBuilder out = new StringBuilder();
        out.append("| key | type | default | meaning |\n");
        out.append("| --- | --- | --- | --- |\n");
        rows(out, ExperimentConfig.defaults(), "");
        return out.toString();
    }

    private static void rows(StringBuilder out, Object record, String path) {
        for (RecordComponent component : Records.components(record.getClass())) {
            if (Records.isInline(component)) {                   // its keys are the section's own
                rows(out, Records.get(component, record), path);
                continue;
            }
            Doc doc = component.getAnnotation(Doc.class);
            String key = path.isEmpty() ? Records.key(component) : path + "." + Records.key(component);
            if (doc == null) {
                throw new IllegalStateException(record.getClass().getSimpleName() + "." + component.getName()
                        + " (" + key + ") has no @Doc");
            }
            Object value = Records.get(component, record);
            if (value.getClass().isRecord()) {
                rows(out, value, key);
            } else {
                out.append("| `").append(key).append("` | ").append(type(component.getGenericType()))
                        .append(" | ").append(cell(Values.format(value))).append(" | ").append(cell(doc.value())).append(" |\n");
            }
        }
    }

    private static String type(Type boxed) {
        Type type = Values.unbox(boxed);
        if (Records.isList(type)) {
            return "list of " + type(Records.elementType(type)) + "s";
        }
        if (type == int.class || type == long.class) {
            return "integer";
        }
        if (type == double.class) {
            return "number";
        }
        if (type == boolean.class) {
            return "boolean";
        }
        if (type == String.class) {
            return "string";
        }
        return Values.describe(type);
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
