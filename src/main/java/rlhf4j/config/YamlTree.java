package rlhf4j.config;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Parses YAML text into a raw tree of maps, lists and scalar <em>text</em> (no implicit typing, so
 * {@code 3e-3} reaches the binder as written and is typed by the record component), remembering the
 * line of every key. SnakeYAML's YAML 1.1 type guessing is bypassed by walking the composed node graph.
 */
final class YamlTree {
    private static final Set<String> NULLS = Set.of("", "~", "null", "Null", "NULL");
    /**
     * Bounds of the tree once aliases are expanded: SnakeYAML caps the number of aliases, not what they expand to,
     * and each alias is copied here, so a few nested aliases (a "billion laughs") would otherwise grow without end.
     * A config is a few hundred nodes and a few kilobytes.
     */
    static final int MAX_NODES = 100_000;
    static final long MAX_SCALAR_CHARS = 4_000_000;

    /** The tree and, for every dotted key, where it was written ("FILE:LINE"). */
    record Parsed(Object root, Map<String, String> origins) {
    }

    private final String source;
    private final Map<String, String> origins = new LinkedHashMap<>();
    private int nodes;
    private long scalarChars;

    private YamlTree(String source) {
        this.source = source;
    }

    /** @param source the file name used in messages */
    static Parsed parse(String text, String source) {
        YamlTree tree = new YamlTree(source);
        Node node;
        try {
            node = new Yaml(new LoaderOptions()).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            throw new ConfigException(describe(e, source), e);
        } catch (YAMLException e) {
            throw new ConfigException(source + ": invalid YAML: " + e.getMessage(), e);
        }
        Object root = node == null ? null : tree.walk(node, "", 0);
        return new Parsed(root, tree.origins);
    }

    /** "FILE:LINE: invalid YAML: PROBLEM (column C, while parsing X at line L)". */
    private static String describe(MarkedYAMLException e, String source) {
        Mark problem = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
        StringBuilder out = new StringBuilder(problem == null ? source : source + ":" + (problem.getLine() + 1));
        out.append(": invalid YAML: ").append(e.getProblem() != null ? e.getProblem().trim() : e.getMessage().trim());
        List<String> notes = new ArrayList<>();
        if (problem != null) {
            notes.add("column " + (problem.getColumn() + 1));
        }
        if (e.getContext() != null) {
            Mark context = e.getContextMark();
            notes.add(e.getContext().trim() + (context == null ? "" : " at line " + (context.getLine() + 1)));
        }
        return notes.isEmpty() ? out.toString() : out.append(" (").append(String.join(", ", notes)).append(")").toString();
    }

    /** Block-style YAML for a tree of maps, lists and plain Java values. */
    static String dump(Map<String, Object> tree) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        options.setSplitLines(false);
        return new Yaml(options).dump(tree);
    }

    private Object walk(Node node, String path, int depth) {
        if (depth > 64) {
            throw new ConfigException(source + ":" + (node.getStartMark().getLine() + 1) + ": YAML nested too deeply");
        }
        if (++nodes > MAX_NODES) {
            throw new ConfigException(source + ":" + (node.getStartMark().getLine() + 1) + ": YAML expands to more than "
                    + MAX_NODES + " values (aliases repeated inside aliases?); a config needs a few hundred");
        }
        if (node instanceof ScalarNode scalar) {
            scalarChars += scalar.getValue().length();
            if (scalarChars > MAX_SCALAR_CHARS) {
                throw new ConfigException(source + ":" + (node.getStartMark().getLine() + 1) + ": YAML expands to more "
                        + "than " + MAX_SCALAR_CHARS + " characters of values (aliases repeated inside aliases?)");
            }
            boolean plain = scalar.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN;
            return plain && NULLS.contains(scalar.getValue()) ? null : scalar.getValue();
        }
        if (node instanceof SequenceNode sequence) {
            List<Object> list = new ArrayList<>();
            for (Node child : sequence.getValue()) {
                list.add(walk(child, path, depth + 1));
            }
            return list;
        }
        MappingNode mapping = (MappingNode) node;
        Map<String, Object> map = new LinkedHashMap<>();
        for (NodeTuple tuple : mapping.getValue()) {
            String line = source + ":" + (tuple.getKeyNode().getStartMark().getLine() + 1);
            if (!(tuple.getKeyNode() instanceof ScalarNode keyNode)) {
                throw new ConfigException(line + ": a key must be a plain name" + (path.isEmpty() ? "" : " (in " + path + ")"));
            }
            String key = keyNode.getValue();
            String dotted = path.isEmpty() ? key : path + "." + key;
            if (map.containsKey(key)) {
                throw new ConfigException(line + ": duplicate key " + dotted + " (first at " + origins.get(dotted) + ")");
            }
            origins.put(dotted, line);
            map.put(key, walk(tuple.getValueNode(), dotted, depth + 1));
        }
        return map;
    }
}
