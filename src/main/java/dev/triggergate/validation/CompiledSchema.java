package dev.triggergate.validation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JSON Schema (draft 2020-12) compiled once into a tree of plain checks over decoded JSON (maps,
 * lists, strings, numbers, booleans, null) that answers only "valid or not".
 *
 * <p>It exists for speed: the general validator re-reads the schema document and compiles regular
 * expressions on every call, which costs far more than parsing the body. This one supports the
 * keywords the gateway's schema uses and refuses any other at compile time, so the schema file
 * stays the single source of truth and cannot silently outgrow it. Its verdicts follow
 * vertx-json-schema's (numbers with a zero fraction are integers, lengths count code points, {@code
 * pattern} is an unanchored search); a test holds the two to the same answers.
 */
final class CompiledSchema {
  private static final Check ACCEPT = value -> true;
  private static final Check REJECT = value -> false;
  private static final Set<String> ANNOTATIONS =
      Set.of("$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples");

  private final JsonObject document;
  private final Map<String, Check> refs = new HashMap<>();
  private final Set<String> compiling = new HashSet<>();
  private final Map<String, Forward> forwards = new HashMap<>();
  private final Check root;

  private CompiledSchema(JsonObject document) {
    this.document = document;
    this.root = compile(document, "#");
  }

  static CompiledSchema compile(JsonObject schema) {
    return new CompiledSchema(schema);
  }

  boolean test(Object instance) {
    return root.test(instance);
  }

  /** One compiled keyword (or group of keywords) applied to one instance. */
  @FunctionalInterface
  private interface Check {
    boolean test(Object value);
  }

  private Check compile(Object schema, String at) {
    if (schema instanceof Boolean bool) {
      return bool ? ACCEPT : REJECT;
    }
    if (!(schema instanceof JsonObject object)) {
      throw new IllegalArgumentException(at + ": a schema must be an object or a boolean");
    }
    List<Check> checks = new ArrayList<>();
    for (String keyword : object.fieldNames()) {
      if (ANNOTATIONS.contains(keyword) || keyword.equals("then") || keyword.equals("else")) {
        continue;
      }
      checks.add(keyword(keyword, object, at + "/" + keyword));
    }
    return all(checks.toArray(Check[]::new));
  }

  /**
   * The conjunction of checks, shaped by their count: most schema objects hold one or two, and a
   * loop over an array would cost each of them a load and a bounds check on the hot path.
   */
  private static Check all(Check[] checks) {
    switch (checks.length) {
      case 0:
        return ACCEPT;
      case 1:
        return checks[0];
      case 2:
        Check first = checks[0];
        Check second = checks[1];
        return value -> first.test(value) && second.test(value);
      default:
        return value -> {
          for (Check check : checks) {
            if (!check.test(value)) {
              return false;
            }
          }
          return true;
        };
    }
  }

  /** The disjunction of checks, shaped by their count as {@link #all} is. */
  private static Check any(Check[] checks) {
    switch (checks.length) {
      case 0:
        return REJECT;
      case 1:
        return checks[0];
      case 2:
        Check first = checks[0];
        Check second = checks[1];
        return value -> first.test(value) || second.test(value);
      default:
        return value -> {
          for (Check check : checks) {
            if (check.test(value)) {
              return true;
            }
          }
          return false;
        };
    }
  }

  private Check keyword(String keyword, JsonObject schema, String at) {
    Object arg = schema.getValue(keyword);
    return switch (keyword) {
      case "type" -> type(arg, at);
      case "enum" -> oneOfValues(((JsonArray) arg).getList());
      case "const" -> oneOfValues(List.of(arg));
      case "required" -> required((JsonArray) arg);
      case "properties" -> properties((JsonObject) arg, at);
      case "additionalProperties" -> additionalProperties(schema, arg, at);
      case "items" -> items(arg, at);
      case "minItems" -> size(arg, true);
      case "maxItems" -> size(arg, false);
      case "minLength" -> length(arg, true);
      case "maxLength" -> length(arg, false);
      case "minimum" -> bound(arg, true, false);
      case "maximum" -> bound(arg, false, false);
      case "exclusiveMinimum" -> bound(arg, true, true);
      case "exclusiveMaximum" -> bound(arg, false, true);
      case "pattern" -> pattern((String) arg);
      case "allOf" -> all(compileAll((JsonArray) arg, at));
      case "anyOf" -> any(compileAll((JsonArray) arg, at));
      case "oneOf" -> oneOf((JsonArray) arg, at);
      case "not" -> negate(compile(arg, at));
      case "if" -> conditional(schema, at);
      case "$ref" -> ref((String) arg);
      default -> throw new IllegalArgumentException(at + ": keyword not supported");
    };
  }

  private static Check type(Object arg, String at) {
    List<String> names = new ArrayList<>();
    if (arg instanceof JsonArray array) {
      array.forEach(name -> names.add((String) name));
    } else {
      names.add((String) arg);
    }
    Check[] any = new Check[names.size()];
    for (int i = 0; i < any.length; i++) {
      any[i] =
          switch (names.get(i)) {
            case "object" -> value -> value instanceof Map || value instanceof JsonObject;
            case "array" -> value -> value instanceof List || value instanceof JsonArray;
            case "string" -> value -> value instanceof String;
            case "boolean" -> value -> value instanceof Boolean;
            case "null" -> Objects::isNull;
            case "number" -> value -> value instanceof Number;
            case "integer" -> CompiledSchema::isInteger;
            default -> throw new IllegalArgumentException(at + ": unknown type " + names.get(i));
          };
    }
    return any(any);
  }

  private static Check oneOfValues(List<Object> allowed) {
    boolean allStrings = allowed.stream().allMatch(String.class::isInstance);
    if (allStrings) {
      Set<Object> strings = new HashSet<>(allowed);
      return strings::contains;
    }
    return value -> {
      for (Object candidate : allowed) {
        if (sameValue(candidate, value)) {
          return true;
        }
      }
      return false;
    };
  }

  private static Check required(JsonArray names) {
    String[] keys = names.stream().map(String.class::cast).toArray(String[]::new);
    return value -> {
      Map<?, ?> map = asMap(value);
      if (map == null) {
        return true;
      }
      for (String key : keys) {
        if (!map.containsKey(key)) {
          return false;
        }
      }
      return true;
    };
  }

  private Check properties(JsonObject properties, String at) {
    Map<String, Check> byName = new HashMap<>();
    for (String name : properties.fieldNames()) {
      byName.put(name, compile(properties.getValue(name), at + "/" + name));
    }
    String[] names = byName.keySet().toArray(String[]::new);
    Check[] checks = new Check[names.length];
    for (int i = 0; i < names.length; i++) {
      checks[i] = byName.get(names[i]);
    }
    return value -> {
      Map<?, ?> map = asMap(value);
      if (map == null) {
        return true;
      }
      // Walk whichever side is smaller: a data item usually has one key, the schema seven.
      if (map.size() < names.length) {
        for (Map.Entry<?, ?> entry : map.entrySet()) {
          Check check = byName.get(entry.getKey());
          if (check != null && !check.test(entry.getValue())) {
            return false;
          }
        }
        return true;
      }
      for (int i = 0; i < names.length; i++) {
        Object property = map.get(names[i]);
        if ((property != null || map.containsKey(names[i])) && !checks[i].test(property)) {
          return false;
        }
      }
      return true;
    };
  }

  private Check additionalProperties(JsonObject schema, Object arg, String at) {
    Set<String> declared =
        schema.getJsonObject("properties") == null
            ? Set.of()
            : schema.getJsonObject("properties").fieldNames();
    Check extra = compile(arg, at);
    return value -> {
      Map<?, ?> map = asMap(value);
      if (map == null) {
        return true;
      }
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        if (!declared.contains(entry.getKey()) && !extra.test(entry.getValue())) {
          return false;
        }
      }
      return true;
    };
  }

  private Check items(Object arg, String at) {
    Check each = compile(arg, at);
    return value -> {
      List<?> list = asList(value);
      if (list == null) {
        return true;
      }
      for (int i = 0, n = list.size(); i < n; i++) {
        if (!each.test(list.get(i))) {
          return false;
        }
      }
      return true;
    };
  }

  private static Check size(Object arg, boolean atLeast) {
    int limit = ((Number) arg).intValue();
    return value -> {
      List<?> list = asList(value);
      if (list == null) {
        return true;
      }
      return atLeast ? list.size() >= limit : list.size() <= limit;
    };
  }

  private static Check length(Object arg, boolean atLeast) {
    int limit = ((Number) arg).intValue();
    return value -> {
      if (!(value instanceof String string)) {
        return true;
      }
      int units = string.length();
      // Code points lie between units/2 and units: count them only when that range straddles.
      if (atLeast) {
        return units / 2 >= limit || (units >= limit && codePoints(string) >= limit);
      }
      return units <= limit || (units / 2 <= limit && codePoints(string) <= limit);
    };
  }

  private static Check bound(Object arg, boolean lower, boolean exclusive) {
    Number limit = (Number) arg;
    return value -> {
      if (!(value instanceof Number number)) {
        return true;
      }
      int cmp = compare(number, limit);
      if (lower) {
        return exclusive ? cmp > 0 : cmp >= 0;
      }
      return exclusive ? cmp < 0 : cmp <= 0;
    };
  }

  private static Check pattern(String regex) {
    Pattern pattern = Pattern.compile(regex);
    LinearPattern linear = LinearPattern.of(pattern);
    if (linear != null) {
      return value -> !(value instanceof String string) || linear.find(string);
    }
    // A new Matcher per value was most of the check's time and all of its garbage: keep one per
    // thread (the check runs on event loops and workers alike) and reset it for each value.
    ThreadLocal<Matcher> matchers = ThreadLocal.withInitial(() -> pattern.matcher(""));
    return value -> !(value instanceof String string) || matchers.get().reset(string).find();
  }

  private Check[] compileAll(JsonArray schemas, String at) {
    Check[] checks = new Check[schemas.size()];
    for (int i = 0; i < checks.length; i++) {
      checks[i] = compile(schemas.getValue(i), at + "/" + i);
    }
    return checks;
  }

  private Check oneOf(JsonArray schemas, String at) {
    Check[] checks = compileAll(schemas, at);
    return value -> {
      int matches = 0;
      for (Check check : checks) {
        if (check.test(value) && ++matches > 1) {
          return false;
        }
      }
      return matches == 1;
    };
  }

  private static Check negate(Check check) {
    return value -> !check.test(value);
  }

  private Check conditional(JsonObject schema, String at) {
    Check condition = compile(schema.getValue("if"), at);
    String base = at.substring(0, at.length() - "/if".length());
    Check then =
        schema.containsKey("then") ? compile(schema.getValue("then"), base + "/then") : null;
    Check otherwise =
        schema.containsKey("else") ? compile(schema.getValue("else"), base + "/else") : null;
    return value -> {
      Check branch = condition.test(value) ? then : otherwise;
      return branch == null || branch.test(value);
    };
  }

  /**
   * The compiled target itself, shared by every reference to it: a wrapper would cost a call per
   * use. Only a reference met again while its own target is compiling (a recursive schema) goes
   * through a {@link Forward}, filled in once the target is done; the batch schema has none.
   */
  private Check ref(String ref) {
    if (!ref.startsWith("#")) {
      throw new IllegalArgumentException(
          ref + ": only references inside the document are supported");
    }
    Check known = refs.get(ref);
    if (known != null) {
      return known;
    }
    if (!compiling.add(ref)) {
      return forwards.computeIfAbsent(ref, recursive -> new Forward());
    }
    Check target = compile(resolve(ref), ref);
    compiling.remove(ref);
    Forward forward = forwards.remove(ref);
    if (forward != null) {
      forward.target = target;
    }
    refs.put(ref, target);
    return target;
  }

  /** A recursive reference: the target it stands for is compiled after it is needed. */
  private static final class Forward implements Check {
    private Check target;

    @Override
    public boolean test(Object value) {
      return target.test(value);
    }
  }

  private Object resolve(String ref) {
    Object node = document;
    for (String part : ref.substring(1).split("/")) {
      if (part.isEmpty()) {
        continue;
      }
      String key = part.replace("~1", "/").replace("~0", "~");
      node = node instanceof JsonObject object ? object.getValue(key) : null;
      if (node == null) {
        throw new IllegalArgumentException(ref + ": no such definition");
      }
    }
    return node;
  }

  private static Map<?, ?> asMap(Object value) {
    if (value instanceof Map<?, ?> map) {
      return map;
    }
    return value instanceof JsonObject object ? object.getMap() : null;
  }

  private static List<?> asList(Object value) {
    if (value instanceof List<?> list) {
      return list;
    }
    return value instanceof JsonArray array ? array.getList() : null;
  }

  private static int codePoints(String string) {
    return string.codePointCount(0, string.length());
  }

  private static boolean isInteger(Object value) {
    if (value instanceof Integer || value instanceof Long) {
      return true;
    }
    if (value instanceof Short || value instanceof Byte || value instanceof BigInteger) {
      return true;
    }
    if (value instanceof Double || value instanceof Float) {
      return ((Number) value).doubleValue() % 1 == 0.0;
    }
    if (value instanceof BigDecimal decimal) {
      return decimal.remainder(BigDecimal.ONE).compareTo(BigDecimal.ZERO) == 0;
    }
    return false;
  }

  private static boolean sameValue(Object expected, Object value) {
    if (expected instanceof Number a && value instanceof Number b) {
      return compare(a, b) == 0;
    }
    return Objects.equals(expected, value);
  }

  private static int compare(Number a, Number b) {
    if (isPlain(a) && isPlain(b)) {
      if (isWhole(a) && isWhole(b)) {
        return Long.compare(a.longValue(), b.longValue());
      }
      return Double.compare(a.doubleValue(), b.doubleValue());
    }
    return decimal(a).compareTo(decimal(b));
  }

  private static boolean isPlain(Number n) {
    return !(n instanceof BigInteger || n instanceof BigDecimal);
  }

  private static boolean isWhole(Number n) {
    return n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte;
  }

  private static BigDecimal decimal(Number n) {
    if (n instanceof BigDecimal decimal) {
      return decimal;
    }
    if (n instanceof BigInteger integer) {
      return new BigDecimal(integer);
    }
    return isWhole(n) ? BigDecimal.valueOf(n.longValue()) : BigDecimal.valueOf(n.doubleValue());
  }
}
