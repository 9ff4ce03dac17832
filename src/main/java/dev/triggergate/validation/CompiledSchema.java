package dev.triggergate.validation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * A JSON Schema (draft 2020-12) compiled once into a tree of plain checks over decoded JSON (maps,
 * lists, strings, numbers, booleans, null) that answers only "valid or not".
 *
 * <p>It exists for speed: the general validator re-reads the schema document and compiles regular
 * expressions on every call, which costs far more than parsing the body. This one supports the
 * keywords the gateway's schema uses and refuses any other at compile time, so the schema file
 * stays the single source of truth and cannot silently outgrow it. Its verdicts follow
 * vertx-json-schema's (numbers with a zero fraction are integers, lengths count code points, {@code
 * pattern} is an unanchored search); a test holds the two to the same answers. Patterns keep
 * ECMA-262's meaning ({@link EcmaPattern}), which vertx-json-schema, running them as Java regexes,
 * has only when given their translations, as {@link BatchSchema} does.
 *
 * <p>Three compile-time choices keep the hot path short. Each schema object becomes one {@link
 * Node} that looks at the instance's type once and runs that type's keywords together. A {@code
 * $ref} is its target's check itself, not a call through a wrapper. And conditionals that only add
 * item checks to an array the schema object walks anyway join that one walk ({@link MergedItems}),
 * rather than walking it again each.
 */
final class CompiledSchema {
  private static final Check ACCEPT = value -> true;
  private static final Check REJECT = value -> false;
  private static final Set<String> ANNOTATIONS =
      Set.of("$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples");
  private static final Set<String> CONDITIONAL = Set.of("if", "then", "else");

  /** Keywords the rules for one JSON type read together, rather than one check each. */
  private static final Set<String> TYPED_KEYWORDS =
      Set.of(
          "properties",
          "required",
          "additionalProperties",
          "items",
          "minItems",
          "maxItems",
          "minLength",
          "maxLength",
          "pattern",
          "minimum",
          "maximum",
          "exclusiveMinimum",
          "exclusiveMaximum");

  // The JSON types a "type" keyword admits, as bits; ANY (no "type") also admits non-JSON values.
  private static final int OBJECT = 1;
  private static final int ARRAY = 1 << 1;
  private static final int STRING = 1 << 2;
  private static final int NUMBER = 1 << 3;
  private static final int INTEGER = 1 << 4;
  private static final int BOOLEAN = 1 << 5;
  private static final int NULL = 1 << 6;
  private static final int ANY = -1;

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

  /** One compiled schema, or one keyword of it, applied to one instance. */
  @FunctionalInterface
  private interface Check {
    boolean test(Object value);
  }

  /** Compiles one schema; {@code at} is where it sits, for the message when it is refused. */
  private Check compile(Object schema, String at) {
    if (schema instanceof Boolean bool) {
      return bool ? ACCEPT : REJECT;
    }
    if (!(schema instanceof JsonObject object)) {
      throw new IllegalArgumentException(at + ": a schema must be an object or a boolean");
    }
    List<Check> others = new ArrayList<>();
    JsonObject rest = mergeConditionalItems(object, at, others);
    int types = ANY;
    for (String keyword : rest.fieldNames()) {
      Object arg = rest.getValue(keyword);
      String where = at + "/" + keyword;
      switch (keyword) {
        case "type" -> types = types(arg, where);
        case "enum" -> others.add(oneOfValues(((JsonArray) arg).getList()));
        case "const" -> others.add(oneOfValues(List.of(arg)));
        case "allOf" -> others.add(all(compileAll((JsonArray) arg, where)));
        case "anyOf" -> others.add(any(compileAll((JsonArray) arg, where)));
        case "oneOf" -> others.add(oneOf((JsonArray) arg, where));
        case "not" -> others.add(negate(compile(arg, where)));
        case "if" -> others.add(conditional(rest, where));
        case "$ref" -> others.add(ref((String) arg));
        default -> {
          // then and else are read with their if; the typed keywords by the rules below.
          if (!ANNOTATIONS.contains(keyword)
              && !CONDITIONAL.contains(keyword)
              && !TYPED_KEYWORDS.contains(keyword)) {
            throw new IllegalArgumentException(where + ": keyword not supported");
          }
        }
      }
    }
    ObjectRules objects = objectRules(rest, at);
    ArrayRules arrays = arrayRules(rest, at);
    StringRules strings = stringRules(rest, at);
    NumberRules numbers = numberRules(rest);
    Check other = all(others.toArray(Check[]::new));
    if (types == ANY && objects == null && arrays == null && strings == null && numbers == null) {
      // Nothing typed to check: a lone $ref is its target, a lone enum its set.
      return other;
    }
    return new Node(types, objects, arrays, strings, numbers, others.isEmpty() ? null : other);
  }

  /**
   * Finds the {@code allOf} entries of a schema object that are only an {@code if}/{@code
   * then}/{@code else} whose outcome constrains the items of an array the object's own {@code
   * properties} already walk ({@code properties.P.items}); adds one {@link MergedItems} check for
   * them to {@code checks} and returns the schema object without what that check took over (those
   * entries, and those arrays' own {@code items}).
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
    Object[] own = new Object[names.length];
    Check[] items = new Check[names.length];
    for (int a = 0; a < names.length; a++) {
      own[a] = itemsOf(schema, names[a]);
      items[a] = compile(own[a], at + "/properties/" + names[a] + "/items");
    }
    Object[] ifs = new Object[merged.size()];
    for (int c = 0; c < ifs.length; c++) {
      ifs[c] = allOf.getJsonObject(merged.get(c)).getValue("if");
    }
    Selector selector = Selector.of(ifs);
    Check[] conditions = new Check[merged.size()];
    Outcome[] thens = new Outcome[merged.size()];
    Outcome[] elses = new Outcome[merged.size()];
    for (int c = 0; c < conditions.length; c++) {
      String where = at + "/allOf/" + merged.get(c);
      JsonObject conditional = allOf.getJsonObject(merged.get(c));
      if (selector == null || !selector.decides(c)) {
        conditions[c] = compile(ifs[c], where + "/if");
      }
      thens[c] = outcome(conditional.getValue("then"), names, own, where + "/then");
      elses[c] = outcome(conditional.getValue("else"), names, own, where + "/else");
    }
    checks.add(new MergedItems(selector, conditions, thens, elses, names, items));
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

  /**
   * One outcome ({@code then} or {@code else}) of a merged conditional, compiled; a missing one
   * checks nothing.
   */
  private Outcome outcome(Object schema, String[] arrays, Object[] own, String at) {
    if (schema == null) {
      return new Outcome(ACCEPT, new Check[arrays.length], new Check[arrays.length]);
    }
    Check rest =
        compile(schema instanceof JsonObject object ? withoutItems(object, arrays) : schema, at);
    Check[] items = new Check[arrays.length];
    Check[] withOwn = new Check[arrays.length];
    for (int a = 0; a < arrays.length; a++) {
      Object added = itemsOf(schema, arrays[a]);
      if (added != null) {
        String where = at + "/properties/" + arrays[a] + "/items";
        items[a] = compile(added, where);
        withOwn[a] = compile(conjoin(own[a], added), where);
      }
    }
    return new Outcome(rest, items, withOwn);
  }

  /**
   * An outcome's parts: what it checks besides item checks on the merged arrays, and per array the
   * item check it adds (null for none), alone and joined with the array's own.
   */
  private record Outcome(Check rest, Check[] items, Check[] withOwn) {}

  /**
   * One schema meaning both: their keywords side by side in one schema object where that cannot
   * change what any of them means, else an {@code allOf} of the two. Side by side they compile to
   * one node, so an item's members are walked and looked up once for both (and a {@code required}
   * name is seen in passing, not looked up again).
   */
  private static Object conjoin(Object first, Object second) {
    if (first instanceof JsonObject a && second instanceof JsonObject b && canJoin(a, b)) {
      JsonObject both = a.copy();
      b.forEach(keyword -> both.put(keyword.getKey(), keyword.getValue()));
      return both;
    }
    return new JsonObject().put("allOf", new JsonArray().add(first).add(second));
  }

  /**
   * Whether two schema objects hold no keyword in common (annotations aside) and no keyword whose
   * meaning depends on its siblings: of those supported, {@code additionalProperties} reads {@code
   * properties}, and {@code then}/{@code else} go with their {@code if}.
   */
  private static boolean canJoin(JsonObject a, JsonObject b) {
    for (String keyword : a.fieldNames()) {
      if (!ANNOTATIONS.contains(keyword) && b.containsKey(keyword)) {
        return false;
      }
    }
    for (JsonObject schema : List.of(a, b)) {
      for (String keyword : schema.fieldNames()) {
        if (keyword.equals("additionalProperties") || CONDITIONAL.contains(keyword)) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Decides at once all the {@code if}s that only ask which of some strings one property P holds:
   * {@code {"properties": {P: {"enum" or "const": strings}}}}, with or without {@code "required":
   * [P]}, as a mode switch does. One lookup of P's value replaces one whole check per {@code if}.
   * Such an {@code if} holds on an instance that is no object, or lacks P and does not require it
   * (neither keyword applies then), or has one of the strings as P; on nothing else (JSON strings
   * are equal exactly when Java's are).
   */
  private static final class Selector {
    private final String property;
    // Bits of the conditionals, as in MergedItems: those this decides, those that hold when the
    // instance lacks the property, and those that hold for each string.
    private final long decided;
    private final long whenAbsent;
    private final Map<String, Long> whenValue;

    private Selector(String property, long decided, long whenAbsent, Map<String, Long> whenValue) {
      this.property = property;
      this.decided = decided;
      this.whenAbsent = whenAbsent;
      this.whenValue = whenValue;
    }

    /** The selector for the property the first such {@code if} reads; null when none is such. */
    static Selector of(Object[] ifs) {
      String property = null;
      for (int c = 0; c < ifs.length && property == null; c++) {
        property = selected(ifs[c]);
      }
      if (property == null) {
        return null;
      }
      long decided = 0;
      long whenAbsent = 0;
      Map<String, Long> whenValue = new HashMap<>();
      for (int c = 0; c < ifs.length; c++) {
        if (!property.equals(selected(ifs[c]))) {
          continue;
        }
        long bit = 1L << c;
        JsonObject condition = (JsonObject) ifs[c];
        decided |= bit;
        if (condition.getJsonArray("required", new JsonArray()).isEmpty()) {
          whenAbsent |= bit;
        }
        List<Object> strings = strings(condition.getJsonObject("properties").getValue(property));
        for (Object string : strings) {
          whenValue.merge((String) string, bit, (a, b) -> a | b);
        }
      }
      return new Selector(property.intern(), decided, whenAbsent, whenValue);
    }

    /** The property an {@code if} of the selecting shape reads, or null for any other schema. */
    private static String selected(Object schema) {
      if (!(schema instanceof JsonObject condition)
          || !(condition.getValue("properties") instanceof JsonObject properties)
          || properties.size() != 1) {
        return null;
      }
      String property = properties.fieldNames().iterator().next();
      for (String keyword : condition.fieldNames()) {
        boolean fits =
            ANNOTATIONS.contains(keyword)
                || keyword.equals("properties")
                || (keyword.equals("required")
                    && condition.getValue("required") instanceof JsonArray required
                    && required.stream().allMatch(property::equals));
        if (!fits) {
          return null;
        }
      }
      return strings(properties.getValue(property)) == null ? null : property;
    }

    /** What an {@code enum} or {@code const} of strings only admits; null for any other schema. */
    private static List<Object> strings(Object schema) {
      if (!(schema instanceof JsonObject values)) {
        return null;
      }
      List<Object> strings = null;
      int keywords = 0;
      for (String keyword : values.fieldNames()) {
        if (ANNOTATIONS.contains(keyword)) {
          continue;
        }
        keywords++;
        if (keyword.equals("const")) {
          strings = Collections.singletonList(values.getValue(keyword));
        } else if (keyword.equals("enum") && values.getValue(keyword) instanceof JsonArray listed) {
          strings = listed.getList();
        }
      }
      boolean onlyStrings =
          keywords == 1 && strings != null && strings.stream().allMatch(String.class::isInstance);
      return onlyStrings ? strings : null;
    }

    boolean decides(int conditional) {
      return (decided & (1L << conditional)) != 0;
    }

    /** The bits of the conditionals this decides that hold on the instance. */
    long held(Object instance) {
      Map<?, ?> map = asMap(instance);
      if (map == null) {
        return decided;
      }
      Object value = map.get(property);
      if (value == null && !map.containsKey(property)) {
        return whenAbsent;
      }
      Long held = value instanceof String string ? whenValue.get(string) : null;
      return held == null ? 0 : held;
    }
  }

  /**
   * A schema object's own item checks for some arrays, with the conditionals that add more: it
   * decides each {@code if} once per instance (those of a {@link Selector} all by one lookup),
   * checks the rest of the outcome it picks, then walks each array once with one item check that
   * holds its own and the picked ones together.
   */
  private static final class MergedItems implements Check {
    private final Selector selector;
    // The other ifs; null where the selector decides.
    private final Check[] conditions;
    private final Outcome[] thens;
    private final Outcome[] elses;
    private final String[] arrays;
    private final Check[] items;

    MergedItems(
        Selector selector,
        Check[] conditions,
        Outcome[] thens,
        Outcome[] elses,
        String[] arrays,
        Check[] items) {
      this.selector = selector;
      this.conditions = conditions;
      this.thens = thens;
      this.elses = elses;
      this.arrays = arrays;
      this.items = items;
    }

    @Override
    public boolean test(Object value) {
      long held = selector == null ? 0 : selector.held(value);
      for (int c = 0; c < conditions.length; c++) {
        if (conditions[c] != null && conditions[c].test(value)) {
          held |= 1L << c;
        }
      }
      for (int c = 0; c < conditions.length; c++) {
        Outcome outcome = (held & (1L << c)) != 0 ? thens[c] : elses[c];
        if (!outcome.rest().test(value)) {
          return false;
        }
      }
      Map<?, ?> map = asMap(value);
      if (map == null) {
        return true;
      }
      for (int a = 0; a < arrays.length; a++) {
        List<?> list = asList(map.get(arrays[a]));
        if (list != null && !walk(list, itemCheck(a, held))) {
          return false;
        }
      }
      return true;
    }

    /**
     * The item check for one array under the held outcomes: its own when none adds one, the
     * precompiled join when one does, and (rarely) a new conjunction when several do.
     */
    private Check itemCheck(int array, long held) {
      Outcome picked = null;
      List<Check> several = null;
      for (int c = 0; c < conditions.length; c++) {
        Outcome outcome = (held & (1L << c)) != 0 ? thens[c] : elses[c];
        Check added = outcome.items()[array];
        if (added == null) {
          continue;
        }
        if (picked == null) {
          picked = outcome;
        } else {
          if (several == null) {
            several = new ArrayList<>(List.of(items[array], picked.items()[array]));
          }
          several.add(added);
        }
      }
      if (several != null) {
        return all(several.toArray(Check[]::new));
      }
      return picked == null ? items[array] : picked.withOwn()[array];
    }

    private static boolean walk(List<?> list, Check each) {
      for (int i = 0, n = list.size(); i < n; i++) {
        if (!each.test(list.get(i))) {
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

  private static int types(Object arg, String at) {
    List<Object> names = arg instanceof JsonArray array ? array.getList() : List.of(arg);
    int types = 0;
    for (Object name : names) {
      types |=
          switch ((String) name) {
            case "object" -> OBJECT;
            case "array" -> ARRAY;
            case "string" -> STRING;
            case "number" -> NUMBER;
            case "integer" -> INTEGER;
            case "boolean" -> BOOLEAN;
            case "null" -> NULL;
            default -> throw new IllegalArgumentException(at + ": unknown type " + name);
          };
    }
    return types;
  }

  /**
   * One schema object: it finds the instance's JSON type once, then runs the keywords for that type
   * together and the untyped ones ({@code enum}, {@code allOf}, {@code $ref}...) after. Every
   * schema object compiles to this one class, so the calls between levels see a single receiver
   * type and the JIT can inline them, where a chain of one small check per keyword made each call
   * site megamorphic.
   */
  private static final class Node implements Check {
    private final int types;
    // Each null when the schema object has no keyword for that type.
    private final ObjectRules objects;
    private final ArrayRules arrays;
    private final StringRules strings;
    private final NumberRules numbers;
    private final Check others;

    Node(
        int types,
        ObjectRules objects,
        ArrayRules arrays,
        StringRules strings,
        NumberRules numbers,
        Check others) {
      this.types = types;
      this.objects = objects;
      this.arrays = arrays;
      this.strings = strings;
      this.numbers = numbers;
      this.others = others;
    }

    @Override
    public boolean test(Object value) {
      return typed(value) && (others == null || others.test(value));
    }

    private boolean typed(Object value) {
      if (value instanceof String string) {
        return (types & STRING) != 0 && (strings == null || strings.test(string));
      }
      if (value instanceof Map<?, ?> map) {
        return (types & OBJECT) != 0 && (objects == null || objects.test(map));
      }
      if (value instanceof JsonObject object) {
        return (types & OBJECT) != 0 && (objects == null || objects.test(object.getMap()));
      }
      if (value instanceof List<?> list) {
        return (types & ARRAY) != 0 && (arrays == null || arrays.test(list));
      }
      if (value instanceof JsonArray array) {
        return (types & ARRAY) != 0 && (arrays == null || arrays.test(array.getList()));
      }
      if (value instanceof Number number) {
        boolean typeOk = (types & NUMBER) != 0 || ((types & INTEGER) != 0 && isInteger(number));
        return typeOk && (numbers == null || numbers.test(number));
      }
      if (value instanceof Boolean) {
        return (types & BOOLEAN) != 0;
      }
      if (value == null) {
        return (types & NULL) != 0;
      }
      // Anything else is no JSON value at all: it passes only where no type is asked for.
      return types == ANY;
    }
  }

  private ObjectRules objectRules(JsonObject schema, String at) {
    JsonObject properties = schema.getJsonObject("properties", new JsonObject());
    JsonArray required = schema.getJsonArray("required", new JsonArray());
    Object additional = schema.getValue("additionalProperties");
    if (properties.isEmpty() && required.isEmpty() && additional == null) {
      return null;
    }
    Check extra = additional == null ? null : compile(additional, at + "/additionalProperties");
    Map<String, Check> byName = new LinkedHashMap<>();
    for (String name : properties.fieldNames()) {
      byName.put(name, compile(properties.getValue(name), at + "/properties/" + name));
    }
    Set<String> wanted = new HashSet<>();
    for (Object name : required) {
      wanted.add((String) name);
      // A required name not among the properties is still one that additionalProperties covers.
      byName.putIfAbsent((String) name, extra);
    }
    String[] names = byName.keySet().toArray(String[]::new);
    boolean[] isRequired = new boolean[names.length];
    for (int i = 0; i < names.length; i++) {
      isRequired[i] = wanted.contains(names[i]);
    }
    return new ObjectRules(
        names, byName.values().toArray(Check[]::new), isRequired, wanted.size(), extra);
  }

  /**
   * The object keywords of one schema object ({@code properties}, {@code required}, {@code
   * additionalProperties}) in one pass: each member is looked up once, and a required name counts
   * as present when the pass meets it, so {@code required} costs no lookups of its own.
   */
  private static final class ObjectRules {
    private final String[] names;
    // By name: the property's check, additionalProperties' for a name that is only required (or
    // null when there is none), and whether the name is required.
    private final Check[] checks;
    private final boolean[] required;
    private final int requiredCount;
    private final Check additional;
    private final int[] slots;
    private final int[] hashes;

    ObjectRules(
        String[] names, Check[] checks, boolean[] required, int requiredCount, Check additional) {
      this.names = new String[names.length];
      for (int i = 0; i < names.length; i++) {
        // Jackson interns the member names it decodes: the same instances compare by identity.
        this.names[i] = names[i].intern();
      }
      this.checks = checks;
      this.required = required;
      this.requiredCount = requiredCount;
      this.additional = additional;
      int size = Integer.highestOneBit(Math.max(1, names.length) * 2) * 2;
      slots = new int[size];
      hashes = new int[size];
      Arrays.fill(slots, -1);
      for (int i = 0; i < names.length; i++) {
        int hash = this.names[i].hashCode();
        int slot = hash & (size - 1);
        while (slots[slot] >= 0) {
          slot = (slot + 1) & (size - 1);
        }
        slots[slot] = i;
        hashes[slot] = hash;
      }
    }

    boolean test(Map<?, ?> map) {
      int seen = 0;
      // Walk whichever side is smaller: a data item usually has one member, its schema seven.
      // Members beyond the declared names need the walk over the members, to meet them all.
      if (additional != null || map.size() <= names.length) {
        for (Map.Entry<?, ?> member : map.entrySet()) {
          int i = indexOf(member.getKey());
          Check check = i < 0 ? additional : checks[i];
          if (check != null && !check.test(member.getValue())) {
            return false;
          }
          if (i >= 0 && required[i]) {
            seen++;
          }
        }
      } else {
        for (int i = 0; i < names.length; i++) {
          Object value = map.get(names[i]);
          if (value == null && !map.containsKey(names[i])) {
            continue;
          }
          if (checks[i] != null && !checks[i].test(value)) {
            return false;
          }
          if (required[i]) {
            seen++;
          }
        }
      }
      return seen == requiredCount;
    }

    /** The name's index, by open addressing on the hash a String caches: no boxing, no nodes. */
    private int indexOf(Object key) {
      if (key == null) {
        return -1;
      }
      int hash = key.hashCode();
      int mask = slots.length - 1;
      for (int slot = hash & mask; ; slot = (slot + 1) & mask) {
        int i = slots[slot];
        if (i < 0) {
          return -1;
        }
        if (names[i] == key || (hashes[slot] == hash && names[i].equals(key))) {
          return i;
        }
      }
    }
  }

  private ArrayRules arrayRules(JsonObject schema, String at) {
    if (!schema.containsKey("items")
        && !schema.containsKey("minItems")
        && !schema.containsKey("maxItems")) {
      return null;
    }
    Check items =
        schema.containsKey("items") ? compile(schema.getValue("items"), at + "/items") : null;
    return new ArrayRules(
        intOr(schema.getValue("minItems"), 0),
        intOr(schema.getValue("maxItems"), Integer.MAX_VALUE),
        items);
  }

  /** The array keywords of one schema object: {@code minItems}, {@code maxItems}, {@code items}. */
  private static final class ArrayRules {
    private final int minItems;
    private final int maxItems;
    private final Check items;

    ArrayRules(int minItems, int maxItems, Check items) {
      this.minItems = minItems;
      this.maxItems = maxItems;
      this.items = items;
    }

    boolean test(List<?> list) {
      int n = list.size();
      if (n < minItems || n > maxItems) {
        return false;
      }
      if (items != null) {
        for (int i = 0; i < n; i++) {
          if (!items.test(list.get(i))) {
            return false;
          }
        }
      }
      return true;
    }
  }

  private static StringRules stringRules(JsonObject schema, String at) {
    if (!schema.containsKey("minLength")
        && !schema.containsKey("maxLength")
        && !schema.containsKey("pattern")) {
      return null;
    }
    String source = schema.getString("pattern");
    EcmaPattern pattern;
    try {
      pattern = source == null ? null : EcmaPattern.parse(source);
    } catch (IllegalArgumentException refused) {
      throw new IllegalArgumentException(at + "/pattern: " + refused.getMessage(), refused);
    }
    return new StringRules(
        intOr(schema.getValue("minLength"), 0),
        intOr(schema.getValue("maxLength"), Integer.MAX_VALUE),
        pattern);
  }

  /**
   * The string keywords of one schema object: {@code minLength}, {@code maxLength} (in code points)
   * and {@code pattern} (an unanchored search, with ECMA-262's meaning).
   */
  private static final class StringRules {
    private final int minLength;
    private final int maxLength;
    // At most one of these: the one-pass matcher when the pattern allows it, else java.util.regex.
    private final LinearPattern linear;
    private final ThreadLocal<Matcher> matchers;

    StringRules(int minLength, int maxLength, EcmaPattern pattern) {
      this.minLength = minLength;
      this.maxLength = maxLength;
      this.linear = pattern == null ? null : LinearPattern.of(pattern);
      // A new Matcher per value was most of the check's time and all of its garbage: keep one per
      // thread (the check runs on event loops and workers alike) and reset it for each value.
      this.matchers =
          pattern == null || linear != null
              ? null
              : ThreadLocal.withInitial(() -> pattern.toJava().matcher(""));
    }

    boolean test(String string) {
      int units = string.length();
      // Code points lie between units/2 and units: count them only when that range straddles.
      if (units / 2 < minLength && (units < minLength || codePoints(string) < minLength)) {
        return false;
      }
      if (units > maxLength && (units / 2 > maxLength || codePoints(string) > maxLength)) {
        return false;
      }
      if (linear != null) {
        return linear.find(string);
      }
      return matchers == null || matchers.get().reset(string).find();
    }
  }

  private static NumberRules numberRules(JsonObject schema) {
    List<Number> limits = new ArrayList<>();
    List<Boolean> lower = new ArrayList<>();
    List<Boolean> exclusive = new ArrayList<>();
    String[] keywords = {"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"};
    for (int k = 0; k < keywords.length; k++) {
      if (schema.containsKey(keywords[k])) {
        limits.add((Number) schema.getValue(keywords[k]));
        lower.add(k < 2);
        exclusive.add(k % 2 == 1);
      }
    }
    if (limits.isEmpty()) {
      return null;
    }
    boolean[] lowers = new boolean[limits.size()];
    boolean[] exclusives = new boolean[limits.size()];
    for (int i = 0; i < lowers.length; i++) {
      lowers[i] = lower.get(i);
      exclusives[i] = exclusive.get(i);
    }
    return new NumberRules(limits.toArray(Number[]::new), lowers, exclusives);
  }

  /**
   * The bounds of one schema object ({@code minimum}, {@code maximum} and their exclusive forms),
   * compared exactly whatever the numbers' Java types.
   */
  private static final class NumberRules {
    private final Number[] limits;
    private final boolean[] lower;
    private final boolean[] exclusive;

    NumberRules(Number[] limits, boolean[] lower, boolean[] exclusive) {
      this.limits = limits;
      this.lower = lower;
      this.exclusive = exclusive;
    }

    boolean test(Number number) {
      for (int i = 0; i < limits.length; i++) {
        int cmp = compare(number, limits[i]);
        boolean beyond =
            lower[i]
                ? cmp < 0 || (exclusive[i] && cmp == 0)
                : cmp > 0 || (exclusive[i] && cmp == 0);
        if (beyond) {
          return false;
        }
      }
      return true;
    }
  }

  private static int intOr(Object arg, int absent) {
    return arg == null ? absent : ((Number) arg).intValue();
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
