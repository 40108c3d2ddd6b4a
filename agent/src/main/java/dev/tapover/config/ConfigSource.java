// Where an agent's settings come from: an optional YAML/JSON file with command-line flags laid over it.
package dev.tapover.config;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * Immutable; {@link #load()} can be called again (reload reads the file anew and lays the same flags over it, so
 * a flag given at start keeps overriding the file). A file ending in {@code .json} is read as JSON, anything
 * else as YAML. Duplicate keys are errors.
 *
 * <pre>
 * ConfigSource source = ConfigSource.of(Path.of("/etc/tapover/fo0.yaml"),
 *         List.of(new ConfigSource.Flag("groups[0].policy.failback", "never", "--failback")));
 * AgentConfig config = source.load();   // ConfigException: one sentence, exit 78
 * </pre>
 */
public final class ConfigSource {
    private static final long MAX_FILE_BYTES = 1024 * 1024;

    private final Path file;
    private final List<Flag> flags;
    private final GroupLookup groupLookup;

    /**
     * A value set on the command line.
     *
     * @param path  the key path it sets, e.g. {@code groups[0].links.standby}
     * @param value a String, Integer, Boolean or List of Strings
     * @param flag  the flag as typed, e.g. {@code --standby}, named in error messages
     */
    public record Flag(String path, Object value, String flag) {
    }

    /** Resolves a group name to its gid (control.group). */
    @FunctionalInterface
    public interface GroupLookup {
        OptionalInt gidOf(String name);
    }

    private ConfigSource(Path file, List<Flag> flags, GroupLookup groupLookup) {
        this.file = file;
        this.flags = List.copyOf(flags);
        this.groupLookup = groupLookup;
    }

    /** {@code file} may be null (flags only). */
    public static ConfigSource of(Path file, List<Flag> flags) {
        return new ConfigSource(file, flags, ConfigSource::gidFromEtcGroup);
    }

    /** As {@link #of}, with the group lookup replaced (tests). */
    public static ConfigSource of(Path file, List<Flag> flags, GroupLookup groupLookup) {
        return new ConfigSource(file, flags, groupLookup);
    }

    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    public List<Flag> flags() {
        return flags;
    }

    /** Reads the file (if any), lays the flags over it and validates the result. */
    public AgentConfig load() throws ConfigException {
        JsonNode root = file == null ? JsonNodeFactory.instance.objectNode() : read(file);
        Map<String, String> flagOfPath = new LinkedHashMap<>();
        if (!flags.isEmpty()) {
            if (!(root instanceof ObjectNode)) {
                // let the reader report the file's shape
                return new ConfigReader(file, flagOfPath, groupLookup).read(root);
            }
            for (Flag flag : flags) {
                setAt((ObjectNode) root, flag.path(), toNode(flag.value()));
                flagOfPath.put(flag.path(), flag.flag());
            }
        }
        return new ConfigReader(file, flagOfPath, groupLookup).read(root);
    }

    /** Parses {@code file} into a tree; every failure is a one-sentence ConfigException. */
    static JsonNode read(Path file) throws ConfigException {
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) {
                throw new ConfigException("", "configuration file " + file
                        + " is a directory; pass the file itself to --config");
            }
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new ConfigException("", "configuration file " + file
                        + " is larger than 1 MiB; pass the agent's configuration file to --config");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("", "configuration file " + file
                    + " does not exist; check the path given to --config", e);
        } catch (AccessDeniedException e) {
            throw new ConfigException("", "configuration file " + file
                    + " cannot be read (permission denied); run as root or fix its permissions", e);
        } catch (IOException e) {
            throw new ConfigException("", "configuration file " + file + " cannot be read (" + e.getMessage()
                    + "); check the path given to --config", e);
        }
        boolean json = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".json");
        ObjectMapper mapper = json ? new ObjectMapper() : new ObjectMapper(new YAMLFactory());
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        try {
            JsonNode root = mapper.readTree(bytes);
            if (root == null || root.isMissingNode() || root.isNull()) {
                throw new ConfigException("", file + " is empty; it needs at least "
                        + "groups: [{master: fo0, links: {primary: eth1}}]");
            }
            return root;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null || at.getLineNr() < 0 ? "" : " line " + at.getLineNr() + ", column "
                    + at.getColumnNr();
            String why = firstLine(e.getOriginalMessage());
            if (e.getCause() instanceof org.yaml.snakeyaml.error.MarkedYAMLException yaml && yaml.getProblem() != null) {
                // SnakeYAML's problem and its mark say more than its context ("while parsing a block collection")
                why = yaml.getProblem();
                if (yaml.getProblemMark() != null) {
                    where = " line " + (yaml.getProblemMark().getLine() + 1) + ", column "
                            + (yaml.getProblemMark().getColumn() + 1);
                }
            }
            java.util.regex.Matcher duplicate = java.util.regex.Pattern.compile("Duplicate field '(.*)'").matcher(why);
            if (duplicate.find()) {
                throw new ConfigException("", file + where + ": key " + duplicate.group(1)
                        + " appears twice in the same mapping; keep one of them", e);
            }
            throw new ConfigException("", file + where + ": " + why + "; fix the " + (json ? "JSON" : "YAML")
                    + " syntax there" + (json ? "" : " (indentation included)"), e);
        } catch (IOException e) {
            throw new ConfigException("", "configuration file " + file + " cannot be read (" + e.getMessage()
                    + "); check the path given to --config", e);
        }
    }

    private static String firstLine(String message) {
        String m = message == null ? "unreadable" : message.strip();
        int nl = m.indexOf('\n');
        m = nl < 0 ? m : m.substring(0, nl);
        return m.replaceAll("\\s+at \\[Source.*$", "").replaceAll("[.;]+$", "");
    }

    private static JsonNode toNode(Object value) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (value instanceof Boolean b) {
            return f.booleanNode(b);
        }
        if (value instanceof Integer i) {
            return f.numberNode(i);
        }
        if (value instanceof List<?> list) {
            ArrayNode array = f.arrayNode();
            for (Object item : list) {
                array.add(toNode(item));
            }
            return array;
        }
        return f.textNode(String.valueOf(value));
    }

    /** Sets {@code path} (keys separated by '.', list items as [N]) in {@code root}, creating what is missing. */
    static void setAt(ObjectNode root, String path, JsonNode value) {
        List<Object> segments = new ArrayList<>();
        for (String part : path.split("\\.")) {
            int bracket = part.indexOf('[');
            String key = bracket < 0 ? part : part.substring(0, bracket);
            segments.add(key);
            while (bracket >= 0) {
                int close = part.indexOf(']', bracket);
                segments.add(Integer.parseInt(part.substring(bracket + 1, close)));
                bracket = part.indexOf('[', close);
            }
        }
        JsonNode current = root;
        for (int i = 0; i < segments.size(); i++) {
            Object segment = segments.get(i);
            boolean last = i == segments.size() - 1;
            Object next = last ? null : segments.get(i + 1);
            if (segment instanceof String key) {
                ObjectNode object = (ObjectNode) current;
                if (last) {
                    object.set(key, value);
                    return;
                }
                JsonNode child = object.get(key);
                if (next instanceof Integer && !(child instanceof ArrayNode)) {
                    child = object.putArray(key);
                } else if (next instanceof String && !(child instanceof ObjectNode)) {
                    child = object.putObject(key);
                }
                current = child;
            } else {
                ArrayNode array = (ArrayNode) current;
                int index = (Integer) segment;
                while (array.size() <= index) {
                    array.addObject();
                }
                if (last) {
                    array.set(index, value);
                    return;
                }
                if (!(array.get(index) instanceof ObjectNode)) {
                    array.set(index, JsonNodeFactory.instance.objectNode());
                }
                current = array.get(index);
            }
        }
    }

    /** The gid of {@code name} from /etc/group, empty if there is no such group. */
    static OptionalInt gidFromEtcGroup(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/group"))) {
                String[] fields = line.split(":", -1);
                if (fields.length >= 3 && fields[0].equals(name)) {
                    return OptionalInt.of(Integer.parseInt(fields[2]));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return OptionalInt.empty();
        }
        return OptionalInt.empty();
    }
}
