package dev.triggergate.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.Validator;
import org.junit.jupiter.api.Test;

/**
 * Holds CompiledSchema to vertx-json-schema on small schemas built to reach the shapes the batch
 * schema does not have, so its compile-time rewrites stay sound beyond that one file.
 */
class CompiledSchemaTest {
  @Test
  void followsRecursiveReferences() {
    assertAgree(
        """
        {"$ref": "#/$defs/node",
         "$defs": {"node": {"type": "object", "required": ["name"],
           "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}}}
        """,
        "{\"name\": 1}",
        "{\"name\": 1, \"children\": []}",
        "{\"name\": 1, \"children\": [{\"name\": 2, \"children\": [{\"name\": 3}]}]}",
        "{\"name\": 1, \"children\": [{\"name\": 2, \"children\": [{}]}]}",
        "{\"name\": 1, \"children\": [{\"name\": 2, \"children\": {}}]}",
        "{\"children\": []}",
        "[]");
  }

  /**
   * Conditionals whose outcomes add item checks are merged into the object's own pass over its
   * arrays: then and else outcomes, two outcomes held at once, outcome keywords beside the items,
   * item checks that join into one schema object and ones that cannot (both say "maximum"), an
   * entry that stays as written, arrays absent or of another type, and properties left empty.
   */
  @Test
  void mergesConditionalItemChecksIntoOnePass() {
    assertAgree(
        """
        {"properties": {
           "kind": {"type": "string"},
           "list": {"type": ["array", "string"], "items": {"type": "object"}},
           "other": {"items": {"type": "integer", "maximum": 5}}},
         "additionalProperties": false,
         "allOf": [
           {"if": {"properties": {"kind": {"const": "a"}}},
            "then": {"properties": {"list": {"items": {"required": ["a"]}}}},
            "else": {"properties": {"list": {"items": {"required": ["b"]}, "maxItems": 3}}}},
           {"if": {"properties": {"kind": {"enum": ["a", "c"]}}, "required": ["kind"]},
            "then": {"properties": {"list": {"items": {"required": ["c"]}},
                                    "other": {"items": {"minimum": 0, "maximum": 10}}}}},
           {"if": {"properties": {"kind": {"const": "b"}}, "required": ["kind"]},
            "then": {"required": ["list"]}},
           {"not": {"properties": {"kind": {"const": "x"}}, "required": ["kind"]}}]}
        """,
        "{\"kind\": \"a\", \"list\": [{\"a\": 1, \"c\": 1}]}",
        "{\"kind\": \"a\", \"list\": [{\"a\": 1}]}",
        "{\"kind\": \"a\", \"list\": [{\"a\": 1, \"c\": 1}], \"extra\": 1}",
        "{\"kind\": \"a\", \"list\": [1]}",
        "{\"kind\": \"b\", \"list\": [{\"b\": 1}, {\"b\": 2}]}",
        "{\"kind\": \"b\", \"list\": [{\"b\": 1}, {\"b\": 2}, {\"b\": 3}, {\"b\": 4}]}",
        "{\"kind\": \"b\", \"list\": \"text\"}",
        "{\"kind\": \"b\"}",
        "{\"kind\": \"b\", \"list\": null}",
        "{\"list\": [{\"a\": 1}]}",
        "{\"list\": [{\"b\": 1}]}",
        "{\"kind\": \"c\", \"list\": [{\"b\": 1, \"c\": 1}], \"other\": [1]}",
        "{\"kind\": \"c\", \"list\": [{\"b\": 1, \"c\": 1}], \"other\": [-1]}",
        "{\"kind\": \"c\", \"list\": [{\"b\": 1, \"c\": 1}], \"other\": [1.5]}",
        "{\"kind\": \"c\", \"list\": [{\"b\": 1, \"c\": 1}], \"other\": [7]}",
        "{\"kind\": \"b\", \"list\": [], \"other\": [-6]}",
        "{\"kind\": \"b\", \"list\": [], \"other\": [6]}",
        "{\"kind\": \"c\", \"other\": {\"0\": -1}}",
        "{\"kind\": \"x\"}",
        "\"not an object\"",
        "[]");
  }

  /**
   * Merged {@code if}s that only ask which string one property holds are decided by one lookup:
   * with and without "required", the property absent, null, a number or an unlisted string, the
   * instance no object, beside an {@code if} on another property and one whose values are not all
   * strings (both left to their own checks).
   */
  @Test
  void decidesStringSelectorsAtOnce() {
    assertAgree(
        """
        {"properties": {"list": {"items": {"type": "object"}}},
         "allOf": [
           {"if": {"properties": {"mode": {"enum": ["a", "b"]}}},
            "then": {"properties": {"list": {"items": {"required": ["x"]}}}}},
           {"if": {"properties": {"mode": {"const": "c"}}, "required": ["mode"]},
            "then": {"properties": {"list": {"items": {"required": ["y"]}}}},
            "else": {"properties": {"list": {"items": {"required": ["z"]}}}}},
           {"if": {"properties": {"other": {"const": "q"}}, "required": ["other"]},
            "then": {"properties": {"list": {"items": {"required": ["w"]}}}}},
           {"if": {"properties": {"mode": {"enum": ["a", 1]}}},
            "then": {"properties": {"list": {"items": {"required": ["v"]}}}}}]}
        """,
        "{\"list\": [{\"x\": 1, \"z\": 1, \"v\": 1}]}",
        "{\"list\": [{\"x\": 1, \"z\": 1}]}",
        "{\"list\": [{\"z\": 1, \"v\": 1}]}",
        "{\"mode\": \"a\", \"list\": [{\"x\": 1, \"z\": 1, \"v\": 1}]}",
        "{\"mode\": \"b\", \"list\": [{\"x\": 1, \"z\": 1}]}",
        "{\"mode\": \"b\", \"list\": [{\"z\": 1}]}",
        "{\"mode\": \"c\", \"list\": [{\"y\": 1}]}",
        "{\"mode\": \"c\", \"list\": [{\"x\": 1}]}",
        "{\"mode\": 1, \"list\": [{\"z\": 1, \"v\": 1}]}",
        "{\"mode\": 1, \"list\": [{\"z\": 1}]}",
        "{\"mode\": null, \"list\": [{\"z\": 1}]}",
        "{\"mode\": \"d\", \"list\": [{\"z\": 1}]}",
        "{\"mode\": \"d\", \"list\": [{\"x\": 1}]}",
        "{\"other\": \"q\", \"mode\": \"c\", \"list\": [{\"y\": 1, \"w\": 1}]}",
        "{\"other\": \"q\", \"mode\": \"c\", \"list\": [{\"y\": 1}]}",
        "\"not an object\"",
        "[]");
  }

  /** A pattern whose ECMA-262 meaning would be lost stops the schema from loading, named. */
  @Test
  void refusesAPatternItCannotKeepTheMeaningOf() {
    JsonObject schema =
        new JsonObject(
            """
            {"properties": {"code": {"type": "string", "pattern": "^(a)\\\\1$"}}}
            """);

    assertThatThrownBy(() -> CompiledSchema.compile(schema))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "#/properties/code/pattern: pattern \"^(a)\\1$\", at index 4:"
                + " backreferences are not translated");
  }

  private static void assertAgree(String schemaText, String... instances) {
    JsonObject schema = new JsonObject(schemaText);
    CompiledSchema fast = CompiledSchema.compile(schema);
    Validator reference =
        Validator.create(
            JsonSchema.of(schema.copy()),
            new JsonSchemaOptions()
                .setDraft(Draft.DRAFT202012)
                .setBaseUri("https://trigger-gateway.dev/schema/")
                .setOutputFormat(OutputFormat.Basic));
    int valid = 0;
    for (String text : instances) {
      Object instance = Json.decodeValue(text);
      boolean expected = reference.validate(instance).getValid();
      Object plain = instance instanceof JsonObject object ? object.getMap() : instance;
      assertThat(fast.test(plain)).as("%s on %s", schemaText, text).isEqualTo(expected);
      valid += expected ? 1 : 0;
    }
    assertThat(valid).as("valid instances").isPositive().isLessThan(instances.length);
  }
}
