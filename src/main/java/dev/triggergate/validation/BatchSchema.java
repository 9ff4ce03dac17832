package dev.triggergate.validation;

import dev.triggergate.api.ApiError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The start_batch JSON Schema, checked in two steps: a compiled fast check decides, and only a body
 * it refuses goes through vertx-json-schema to name the JSON Pointer and the broken rule.
 */
public final class BatchSchema {
  /** The schema file on the class path. */
  public static final String RESOURCE = "/start_batch.schema.json";

  private static final int MAX_DETAILS = 10;

  /** Errors that only say "something below failed"; the leaf below says what. */
  private static final Set<String> WRAPPER_KEYWORDS =
      Set.of("properties", "items", "allOf", "if", "then", "else", "$ref");

  private static final String REQUIRED = "Instance does not have required property ";
  private static final String ENUM = "Instance does not match any of ";
  private static final Pattern TYPE =
      Pattern.compile("Instance type (\\w+) is invalid\\. Expected (.+)");
  private static final Pattern TOO_FEW =
      Pattern.compile("Array has too few items \\( \\+ (\\d+) < (\\d+)\\)");

  private final JsonObject document;
  private final CompiledSchema fast;
  private final Validator detailed;

  private BatchSchema(JsonObject document) {
    this.document = document;
    this.fast = CompiledSchema.compile(document);
    this.detailed =
        Validator.create(
            // A copy, as the library annotates the document it is given.
            JsonSchema.of((JsonObject) withJavaPatterns(document)),
            new JsonSchemaOptions()
                .setDraft(Draft.DRAFT202012)
                .setBaseUri("https://trigger-gateway.dev/schema/")
                .setOutputFormat(OutputFormat.Basic));
  }

  /** Loads and compiles the schema from the class path; fails start-up if it cannot. */
  public static BatchSchema load() {
    try (InputStream in = BatchSchema.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the class path");
      }
      return new BatchSchema(new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The schema document, for readers that take types from it (the XML decoder). */
  public JsonObject document() {
    return document;
  }

  /** Whether the body is valid, by the fast check alone. */
  public boolean isValid(JsonObject body) {
    return fast.test(body.getMap());
  }

  /**
   * The verdict of vertx-json-schema alone (given the patterns' translations); the reference the
   * fast check is held to.
   */
  public boolean isValidByReference(JsonObject body) {
    return detailed.validate(body).getValid();
  }

  /** Checks the body; throws the 400 {@link ApiError} naming the first violation when invalid. */
  public void check(JsonObject body) {
    if (!fast.test(body.getMap())) {
      throw explain(body);
    }
  }

  private ApiError explain(JsonObject body) {
    OutputUnit result = detailed.validate(body);
    List<String> details = new ArrayList<>();
    if (result.getErrors() != null) {
      for (OutputUnit error : result.getErrors()) {
        if (!isWrapper(error) && details.size() < MAX_DETAILS) {
          details.add(describe(error, document));
        }
      }
    }
    if (details.isEmpty()) {
      // Only reachable if the two validators disagreed; the agreement test guards against it.
      return ApiError.invalid("body does not match the start_batch schema");
    }
    return ApiError.invalid(details.get(0), details.size() > 1 ? details : List.of());
  }

  private static boolean isWrapper(OutputUnit error) {
    String location = error.getKeywordLocation();
    String keyword = location.substring(location.lastIndexOf('/') + 1);
    return WRAPPER_KEYWORDS.contains(keyword);
  }

  private static String describe(OutputUnit error, JsonObject document) {
    String where = error.getInstanceLocation();
    if (where == null || where.isEmpty() || where.equals("#")) {
      where = "/";
    } else if (where.startsWith("#")) {
      where = where.substring(1);
    }
    // The absolute location has $refs resolved: its fragment points into the schema document.
    String absolute = error.getAbsoluteKeywordLocation();
    String keyword =
        absolute != null && absolute.contains("#")
            ? absolute.substring(absolute.indexOf('#'))
            : error.getKeywordLocation();
    return where + ": " + rephrase(error.getError(), keyword, document);
  }

  /** vertx-json-schema speaks of "Instance"; the client wants the rule in plain words. */
  private static String rephrase(String message, String keywordLocation, JsonObject document) {
    Matcher m = TYPE.matcher(message);
    if (m.matches()) {
      return "must be " + m.group(2).replace(", ", " or ") + ", got " + m.group(1);
    }
    m = TOO_FEW.matcher(message);
    if (m.matches()) {
      return "must have at least " + m.group(2) + " item(s), has " + m.group(1);
    }
    if (message.startsWith(REQUIRED)) {
      return "missing required property " + message.substring(REQUIRED.length());
    }
    if (message.startsWith(ENUM)) {
      return "must be one of " + message.substring(ENUM.length());
    }
    if (message.equals("String does not match pattern")) {
      Object pattern = keywordValue(document, keywordLocation);
      return pattern == null ? "does not match its pattern" : "does not match pattern " + pattern;
    }
    if (message.equals("Instance does not match any subschemas")) {
      return alternatives(keywordValue(document, keywordLocation));
    }
    return message;
  }

  /** An {@code anyOf} of {@code required} lists reads best as the properties it wants. */
  private static String alternatives(Object anyOf) {
    List<String> wanted = new ArrayList<>();
    if (anyOf instanceof JsonArray array) {
      for (Object alternative : array) {
        if (alternative instanceof JsonObject object
            && object.getValue("required") instanceof JsonArray required) {
          required.forEach(name -> wanted.add("\"" + name + "\""));
        } else {
          return "matches none of the allowed alternatives";
        }
      }
    }
    return wanted.isEmpty()
        ? "matches none of the allowed alternatives"
        : "needs at least one of " + String.join(", ", wanted);
  }

  /**
   * A copy of a schema with each {@code pattern} replaced by its java.util.regex translation:
   * vertx-json-schema compiles patterns as Java regexes, whose {@code $} and {@code \s} mean other
   * things than ECMA-262's, and without this it would accept what the fast check refuses and have
   * no violation to name. The walk follows the keywords that hold schemas (of those CompiledSchema
   * supports; it refuses the others first), so a {@code pattern} inside an {@code enum} or {@code
   * const} value stays as it is.
   */
  private static Object withJavaPatterns(Object schema) {
    if (!(schema instanceof JsonObject object)) {
      return schema;
    }
    JsonObject copy = new JsonObject();
    for (String keyword : object.fieldNames()) {
      Object value = object.getValue(keyword);
      copy.put(
          keyword,
          switch (keyword) {
            case "pattern" -> EcmaPattern.parse((String) value).toJava().pattern();
            case "properties", "$defs" -> eachValue((JsonObject) value);
            case "allOf", "anyOf", "oneOf" -> eachItem((JsonArray) value);
            case "items", "additionalProperties", "not", "if", "then", "else" ->
                withJavaPatterns(value);
            default -> copyOf(value);
          });
    }
    return copy;
  }

  private static Object copyOf(Object value) {
    if (value instanceof JsonObject object) {
      return object.copy();
    }
    return value instanceof JsonArray array ? array.copy() : value;
  }

  private static JsonObject eachValue(JsonObject schemas) {
    JsonObject copy = new JsonObject();
    schemas.forEach(entry -> copy.put(entry.getKey(), withJavaPatterns(entry.getValue())));
    return copy;
  }

  private static JsonArray eachItem(JsonArray schemas) {
    JsonArray copy = new JsonArray();
    schemas.forEach(schema -> copy.add(withJavaPatterns(schema)));
    return copy;
  }

  /** The schema value at a keyword location such as {@code #/$defs/email/pattern}. */
  private static Object keywordValue(JsonObject document, String location) {
    Object node = document;
    String path = location.startsWith("#") ? location.substring(1) : location;
    for (String part : path.split("/")) {
      if (part.isEmpty()) {
        continue;
      }
      if (node instanceof JsonObject object) {
        node = object.getValue(part);
      } else if (node instanceof JsonArray array && part.matches("\\d+")) {
        node = array.getValue(Integer.parseInt(part));
      } else {
        return null;
      }
    }
    return node;
  }
}
