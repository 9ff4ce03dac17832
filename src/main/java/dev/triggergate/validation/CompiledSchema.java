package dev.triggergate.validation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
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
  private static final Set<String> CONDITIONAL = Set.of("if", "then", "else");
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
    JsonObject rest = mergeConditionalItems(object, at, checks);
    for (String keyword : rest.fieldNames()) {
      if (ANNOTATIONS.contains(keyword) || keyword.equals("then") || keyword.equals("else")) {
        continue;
      }
      checks.add(keyword(keyword, rest, at + "/" + keyword));
    }
    return all(checks.toArray(Check[]::new));
  }

  /**
   * Finds the {@code allOf} entries of a schema object that are only an {@code if}/{@code
   * then}/{@code else} whose outcome constrains the items of an array the object's own {@code
   * properties} already walk ({@code properties.P.items}); adds one {@link MergedItems} check for
   * them to {@code checks} and returns the schema object without what that check took over.
   *
   * <p>Compiled as written, each such entry walks the array once more: with a batch's {@code data}
   * that is a second pass over every item. The rewrite keeps JSON Schema's meaning because {@code
   * allOf} and the keywords of one schema object are all conjunctions, so the checks may be
   * regrouped, and because an outcome's {@code properties.P.items} applies under exactly the
   * conditions the object's own does (the instance is an object with P, and P's value is an array).
   * It relies on {@code items} reaching every element alike, which holds while the keywords that
   * would change that ({@code prefixItems}, {@code unevaluatedItems}) are refused.
   */
  private JsonObject mergeConditionalItems(JsonObject schema, String at, List<Check> checks) {
    if (!(schema.getValue("properties") instanceof JsonObject properties)
        || !(schema.getValue("allOf") instanceof JsonArray allOf)) {
      return schema;
    }
    List<String> walked = new ArrayList<>();
    for (String name : properties.fieldNames()) {
      if (itemsOf(schema, name) != null) {
        walked.add(name);
      }
    }
    List<Integer> merged = new ArrayList<>();
    Set<String> arrays = new LinkedHashSet<>();
    JsonArray kept = new JsonArray();
    for (int i = 0; i < allOf.size(); i++) {
      Object entry = allOf.getValue(i);
      List<String> touched = new ArrayList<>();
      if (entry instanceof JsonObject conditional && isOnlyConditional(conditional)) {
        for (String name : walked) {
          if (itemsOf(conditional.getValue("then"), name) != null
              || itemsOf(conditional.getValue("else"), name) != null) {
            touched.add(name);
          }
        }
      }
      // Which conditionals held is kept in one long per instance.
      if (touched.isEmpty() || merged.size() == Long.SIZE) {
        kept.add(entry);
      } else {
        merged.add(i);
        arrays.addAll(touched);
      }
    }
    if (merged.isEmpty()) {
      return schema;
    }
    String[] names = arrays.toArray(String[]::new);
    Check[] conditions = new Check[merged.size()];
    Check[] thenRests = new Check[merged.size()];
    Check[] elseRests = new Check[merged.size()];
    Check[][] thenItems = new Check[names.length][merged.size()];
    Check[][] elseItems = new Check[names.length][merged.size()];
    for (int c = 0; c < conditions.length; c++) {
      String where = at + "/allOf/" + merged.get(c);
      JsonObject conditional = allOf.getJsonObject(merged.get(c));
      conditions[c] = compile(conditional.getValue("if"), where + "/if");
      thenRests[c] = outcomeRest(conditional.getValue("then"), names, where + "/then");
      elseRests[c] = outcomeRest(conditional.getValue("else"), names, where + "/else");
      for (int a = 0; a < names.length; a++) {
        thenItems[a][c] = outcomeItems(conditional.getValue("then"), names[a], where + "/then");
        elseItems[a][c] = outcomeItems(conditional.getValue("else"), names[a], where + "/else");
      }
    }
    Check[] items = new Check[names.length];
    for (int a = 0; a < names.length; a++) {
      items[a] = compile(itemsOf(schema, names[a]), at + "/properties/" + names[a] + "/items");
    }
    checks.add(
        new MergedItems(conditions, thenRests, elseRests, names, items, thenItems, elseItems));
    JsonObject rest = withoutItems(schema, names);
    if (kept.isEmpty()) {
      rest.remove("allOf");
    } else {
      rest.put("allOf", kept);
    }
    return rest;
  }

  private static boolean isOnlyConditional(JsonObject schema) {
    for (String keyword : schema.fieldNames()) {
      if (!ANNOTATIONS.contains(keyword) && !CONDITIONAL.contains(keyword)) {
        return false;
      }
    }
    return schema.containsKey("if");
  }

  /** The {@code properties.<array>.items} of a schema, or null when it has none. */
  private static Object itemsOf(Object schema, String array) {
    if (schema instanceof JsonObject object
        && object.getValue("properties") instanceof JsonObject properties
        && properties.getValue(array) instanceof JsonObject property) {
      return property.getValue("items");
    }
    return null;
  }

  /**
   * A copy of the schema without the {@code items} of the named properties. The properties stay, if
   * only as empty schemas, since {@code additionalProperties} reads which ones are declared.
   */
  private static JsonObject withoutItems(JsonObject schema, String[] arrays) {
    JsonObject copy = schema.copy();
    for (String array : arrays) {
      if (itemsOf(copy, array) != null) {
        copy.getJsonObject("properties").getJsonObject(array).remove("items");
      }
    }
    return copy;
  }

  /** What an outcome checks besides the merged item checks; everything when there is no outcome. */
  private Check outcomeRest(Object outcome, String[] arrays, String at) {
    if (outcome == null) {
      return ACCEPT;
    }
    return compile(
        outcome instanceof JsonObject object ? withoutItems(object, arrays) : outcome, at);
  }

  private Check outcomeItems(Object outcome, String array, String at) {
    Object items = itemsOf(outcome, array);
    return items == null ? null : compile(items, at + "/properties/" + array + "/items");
  }

  /**
   * A schema object's own item checks for some arrays, with the conditionals that add more: it
   * decides each {@code if} once per instance, checks the rest of the outcome it picks, then walks
   * each array once with its own item check and the picked ones together.
   */
  private static final class MergedItems implements Check {
    private final Check[] conditions;
    private final Check[] thenRests;
    private final Check[] elseRests;
    private final String[] arrays;
    private final Check[] items;
    // Indexed [array][conditional]; null where that outcome adds nothing to that array.
    private final Check[][] thenItems;
    private final Check[][] elseItems;

    MergedItems(
        Check[] conditions,
        Check[] thenRests,
        Check[] elseRests,
        String[] arrays,
        Check[] items,
        Check[][] thenItems,
        Check[][] elseItems) {
      this.conditions = conditions;
      this.thenRests = thenRests;
      this.elseRests = elseRests;
      this.arrays = arrays;
      this.items = items;
      this.thenItems = thenItems;
      this.elseItems = elseItems;
    }

    @Override
    public boolean test(Object value) {
      long held = 0;
      for (int c = 0; c < conditions.length; c++) {
        if (conditions[c].test(value)) {
          held |= 1L << c;
          if (!thenRests[c].test(value)) {
            return false;
          }
        } else if (!elseRests[c].test(value)) {
          return false;
        }
      }
      Map<?, ?> map = asMap(value);
      if (map == null) {
        return true;
      }
      for (int a = 0; a < arrays.length; a++) {
        List<?> list = asList(map.get(arrays[a]));
        if (list != null && !walk(list, items[a], picked(a, held))) {
          return false;
        }
      }
      return true;
    }

    /** The item checks the held outcomes add to one array: null, one, or (rarely) a new "all". */
    private Check picked(int array, long held) {
      Check one = null;
      List<Check> more = null;
      for (int c = 0; c < conditions.length; c++) {
        Check check = (held & (1L << c)) != 0 ? thenItems[array][c] : elseItems[array][c];
        if (check == null) {
          continue;
        }
        if (one == null) {
          one = check;
        } else {
          if (more == null) {
            more = new ArrayList<>(List.of(one));
          }
          more.add(check);
        }
      }
      return more == null ? one : all(more.toArray(Check[]::new));
    }

    private static boolean walk(List<?> list, Check each, Check picked) {
      int n = list.size();
      if (picked == null) {
        for (int i = 0; i < n; i++) {
          if (!each.test(list.get(i))) {
            return false;
          }
        }
        return true;
      }
      for (int i = 0; i < n; i++) {
        Object item = list.get(i);
        if (!each.test(item) || !picked.test(item)) {
          return false;
        }
      }
      return true;
    }
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
