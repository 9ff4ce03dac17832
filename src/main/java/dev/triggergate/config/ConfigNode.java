package dev.triggergate.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads one YAML mapping with its dotted path in hand, so that every error names the key.
 *
 * <p>Values that came from environment variables arrive as text, so numeric and boolean readers
 * accept text too. {@link #finish()} refuses keys nobody read: a typo must not silently fall back
 * to a default.
 */
final class ConfigNode {
  private final String path;
  private final ObjectNode node;
  private final Set<String> read = new HashSet<>();

  ConfigNode(String path, ObjectNode node) {
    this.path = path;
    this.node = node;
  }

  String key(String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  private JsonNode value(String name) {
    read.add(name);
    JsonNode value = node.get(name);
    return value == null || value.isNull() ? null : value;
  }

  boolean isSet(String name) {
    JsonNode value = node.get(name);
    return value != null && !value.isNull() && !(value.isContainerNode() && value.isEmpty());
  }

  long requiredInteger(String name, long min, long max) {
    if (node.get(name) == null || node.get(name).isNull()) {
      throw new ConfigException(key(name) + ": required");
    }
    return integer(name, 0, min, max);
  }

  ConfigNode object(String name) {
    JsonNode value = value(name);
    if (value == null) {
      return new ConfigNode(key(name), node.objectNode());
    }
    if (!value.isObject()) {
      throw new ConfigException(key(name) + ": expected a mapping, got " + describe(value));
    }
    return new ConfigNode(key(name), (ObjectNode) value);
  }

  String string(String name, String fallback) {
    JsonNode value = value(name);
    if (value == null) {
      return fallback;
    }
    if (!value.isValueNode()) {
      throw new ConfigException(key(name) + ": expected a string, got " + describe(value));
    }
    return value.asText();
  }

  boolean bool(String name, boolean fallback) {
    JsonNode value = value(name);
    if (value == null) {
      return fallback;
    }
    if (value.isBoolean()) {
      return value.booleanValue();
    }
    String text = value.asText().trim().toLowerCase(java.util.Locale.ROOT);
    if (value.isTextual() && (text.equals("true") || text.equals("false"))) {
      return text.equals("true");
    }
    throw new ConfigException(key(name) + ": expected true or false, got " + describe(value));
  }

  long integer(String name, long fallback, long min, long max) {
    JsonNode value = value(name);
    if (value == null) {
      return fallback;
    }
    long parsed;
    if (value.isIntegralNumber() && value.canConvertToLong()) {
      parsed = value.longValue();
    } else if (value.isTextual()) {
      try {
        parsed = Long.parseLong(value.asText().trim());
      } catch (NumberFormatException e) {
        throw outOfRange(name, value, min, max);
      }
    } else {
      throw outOfRange(name, value, min, max);
    }
    if (parsed < min || parsed > max) {
      throw outOfRange(name, value, min, max);
    }
    return parsed;
  }

  double decimal(String name, double fallback, double min, double max) {
    JsonNode value = value(name);
    if (value == null) {
      return fallback;
    }
    double parsed;
    if (value.isNumber()) {
      parsed = value.doubleValue();
    } else if (value.isTextual()) {
      try {
        parsed = Double.parseDouble(value.asText().trim());
      } catch (NumberFormatException e) {
        // Not a number: refused below, as NaN is by the range check.
        parsed = Double.NaN;
      }
    } else {
      parsed = Double.NaN;
    }
    if (!(parsed >= min && parsed <= max)) {
      throw new ConfigException(
          key(name)
              + ": expected a number from "
              + min
              + " to "
              + max
              + ", got "
              + describe(value));
    }
    return parsed;
  }

  <E extends Enum<E>> E choice(String name, E fallback, Class<E> type) {
    String text = string(name, null);
    if (text == null) {
      if (fallback == null) {
        throw new ConfigException(key(name) + ": required, one of " + names(type));
      }
      return fallback;
    }
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equalsIgnoreCase(text.trim())) {
        return constant;
      }
    }
    throw new ConfigException(
        key(name) + ": expected one of " + names(type) + ", got \"" + text + "\"");
  }

  private static <E extends Enum<E>> String names(Class<E> type) {
    List<String> names = new ArrayList<>();
    for (E constant : type.getEnumConstants()) {
      names.add(constant.name().toLowerCase(java.util.Locale.ROOT));
    }
    return String.join(", ", names);
  }

  /** A list of plain values; a comma-separated string (as an environment variable gives) too. */
  List<String> strings(String name) {
    JsonNode value = value(name);
    List<String> out = new ArrayList<>();
    if (value == null) {
      return out;
    }
    if (value.isTextual()) {
      for (String part : value.asText().split(",")) {
        if (!part.isBlank()) {
          out.add(part.trim());
        }
      }
      return out;
    }
    if (!value.isArray()) {
      throw new ConfigException(key(name) + ": expected a list, got " + describe(value));
    }
    for (int i = 0; i < value.size(); i++) {
      JsonNode item = value.get(i);
      if (!item.isValueNode() || item.isNull()) {
        throw new ConfigException(
            key(name) + "[" + i + "]: expected a string, got " + describe(item));
      }
      out.add(item.asText());
    }
    return out;
  }

  /** A list of mappings, each read by {@code reader}. */
  <T> List<T> objects(String name, Function<ConfigNode, T> reader) {
    JsonNode value = value(name);
    List<T> out = new ArrayList<>();
    if (value == null) {
      return out;
    }
    if (!value.isArray()) {
      throw new ConfigException(key(name) + ": expected a list, got " + describe(value));
    }
    for (int i = 0; i < value.size(); i++) {
      JsonNode item = value.get(i);
      if (!item.isObject()) {
        throw new ConfigException(
            key(name) + "[" + i + "]: expected a mapping, got " + describe(item));
      }
      ConfigNode child = new ConfigNode(key(name) + "[" + i + "]", (ObjectNode) item);
      out.add(reader.apply(child));
      child.finish();
    }
    return out;
  }

  /** Refuses keys that no reader asked for. */
  void finish() {
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!read.contains(name)) {
        throw new ConfigException(key(name) + ": unknown key");
      }
    }
  }

  ConfigException invalid(String name, String expected) {
    return new ConfigException(key(name) + ": " + expected);
  }

  private ConfigException outOfRange(String name, JsonNode value, long min, long max) {
    String range =
        max == Long.MAX_VALUE ? "an integer ≥ " + min : "an integer from " + min + " to " + max;
    return new ConfigException(key(name) + ": expected " + range + ", got " + describe(value));
  }

  private static String describe(JsonNode value) {
    if (value.isTextual()) {
      return "\"" + value.asText() + "\"";
    }
    if (value.isObject()) {
      return "a mapping";
    }
    if (value.isArray()) {
      return "a list";
    }
    return value.toString();
  }
}
