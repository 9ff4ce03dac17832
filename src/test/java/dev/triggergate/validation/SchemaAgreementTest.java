package dev.triggergate.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.triggergate.TestGateway;
import dev.triggergate.api.ApiError;
import dev.triggergate.intake.XmlBody;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.Validator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The compiled fast check and vertx-json-schema must give the same verdict on every body: the
 * shared examples, hand-made edge cases, and hundreds of generated valid and broken batches. Where
 * a pattern's ECMA-262 meaning (what JSON Schema says) and java.util.regex's part, the verdict is a
 * real ECMAScript engine's, and the test says that vertx-json-schema alone answers otherwise.
 */
class SchemaAgreementTest {
  private static final BatchSchema SCHEMA = BatchSchema.load();
  private static final XmlBody XML = new XmlBody(SCHEMA.document());
  private static final EcmaScript ECMA = new EcmaScript();
  private static final String PROFILE_ID = "6606e08f10bcdd88297057a7";

  /** vertx-json-schema on the schema file as written: patterns run as java.util.regex. */
  private static final Validator UNTRANSLATED =
      Validator.create(
          JsonSchema.of(SCHEMA.document().copy()),
          new JsonSchemaOptions()
              .setDraft(Draft.DRAFT202012)
              .setBaseUri("https://trigger-gateway.dev/schema/")
              .setOutputFormat(OutputFormat.Flag));

  private static final String[] MODES = {
    "email",
    "email_profile",
    "email_sub",
    "phone",
    "phone_sub",
    "profile_id",
    "push_sub",
    "custom",
    "custom_sub",
    "email_phone",
    "email_phone_sub"
  };

  @Test
  void agreeOnEveryJsonExample() throws IOException {
    List<Path> files = new ArrayList<>();
    for (String dir : new String[] {"examples/requests", "examples/invalid"}) {
      try (Stream<Path> listing = Files.list(TestGateway.resource(dir))) {
        listing.forEach(files::add);
      }
    }
    int checked = 0;
    for (Path file : files) {
      Object value;
      try {
        Buffer bytes = Buffer.buffer(Files.readAllBytes(file));
        value = file.toString().endsWith(".xml") ? XML.decode(bytes) : Json.decodeValue(bytes);
      } catch (DecodeException | ApiError unreadable) {
        continue;
      }
      if (value instanceof JsonObject body) {
        assertAgree(body, file.getFileName().toString());
        checked++;
      }
    }
    assertThat(checked).isGreaterThanOrEqualTo(18);
  }

  @Test
  void agreeOnEdgeCases() {
    String[] bodies = {
      "{}",
      "{\"trigger_id\":8,\"data\":[{\"email\":\"a@b\"}]}",
      "{\"trigger_id\":8.0,\"data\":[{\"email\":\"a@b\"}]}",
      "{\"trigger_id\":8.5,\"data\":[{\"email\":\"a@b\"}]}",
      "{\"trigger_id\":0,\"data\":[{\"email\":\"a@b\"}]}",
      "{\"trigger_id\":99999999999999999999999,\"data\":[{\"email\":\"a@b\"}]}",
      "{\"trigger_id\":1e2,\"data\":[{\"email\":\"a@b\"}]}",
      "{\"trigger_id\":true,\"data\":[{\"email\":\"a@b\"}]}",
      "{\"trigger_id\":null,\"data\":[{\"email\":\"a@b\"}]}",
      "{\"trigger_id\":8,\"data\":[{\"email\":null}]}",
      "{\"trigger_id\":8,\"data\":[{\"email\":\"a@b@c\"}]}",
      "{\"trigger_id\":8,\"data\":[{\"email\":\"a b@c\"}]}",
      "{\"trigger_id\":8,\"data\":[{\"email\":\"😀@😀\"}]}",
      "{\"trigger_id\":8,\"data\":[null]}",
      "{\"trigger_id\":8,\"data\":[[]]}",
      "{\"trigger_id\":8,\"data\":[\"a@b\"]}",
      "{\"trigger_id\":8,\"token\":\"\",\"data\":[{\"email\":\"a@b\"}]}",
      "{\"trigger_id\":8,\"token\":\"😀\",\"data\":[{\"email\":\"a@b\"}]}",
      "{\"trigger_id\":8,\"matching\":null,\"data\":[{\"email\":\"a@b\"}]}",
      "{\"trigger_id\":8,\"matching\":\"phone\",\"data\":[{\"phone\":\"+7 (900) 000-00-02\"}]}",
      "{\"trigger_id\":8,\"matching\":\"phone\",\"data\":[{\"phone\":\"1234\"}]}",
      "{\"trigger_id\":8,\"matching\":\"phone\",\"data\":[{\"phone\":\"123456789012345678901\"}]}",
      "{\"trigger_id\":8,\"matching\":\"phone\",\"data\":[{\"phone\":\"++12345\"}]}",
      "{\"trigger_id\":8,\"matching\":\"phone\",\"data\":[{\"phone\":12345}]}",
      "{\"trigger_id\":8,\"matching\":\"custom\",\"field_name\":\"\",\"data\":[{\"field_value\":1}]}",
      "{\"trigger_id\":8,\"matching\":\"custom\",\"field_name\":\"f\",\"data\":[{\"field_value\":\"\"}]}",
      "{\"trigger_id\":8,\"matching\":\"custom\",\"field_name\":\"f\",\"data\":[{\"field_value\":0}]}",
      "{\"trigger_id\":8,\"matching\":\"custom\",\"field_name\":\"f\",\"data\":[{\"field_value\":true}]}",
      "{\"trigger_id\":8,\"matching\":\"profile_id\",\"data\":[{\"profile_id\":\"6606E08F10BCDD88297057A7\"}]}",
      "{\"trigger_id\":8,\"matching\":\"push_sub\",\"data\":[{\"provider\":\"p\"}]}",
      "{\"trigger_id\":8,\"data\":[{\"email\":\"a@b\"}],\"attach\":[]}",
      "{\"trigger_id\":8,\"data\":[{\"email\":\"a@b\"}],\"attach\":[{\"name\":\"n\"}]}",
      "{\"trigger_id\":8,\"data\":[{\"email\":\"a@b\"}],\"attach\":{\"name\":\"n\"}}",
      "{\"trigger_id\":8,\"data\":[{\"email\":\"a@b\"}],\"format\":\"XML\"}",
      "{\"trigger_id\":8,\"data\":[{\"email\":\"a@b\"}],\"content\":[]}",
      "{\"trigger_id\":8,\"data\":[{\"email\":\"a@b\",\"custom_data\":\"x\"}]}",
      "{\"trigger_id\":8,\"data\":[{\"email\":\"a@b\"}],\"skip_triggers\":\"false\"}",
      "{\"trigger_id\":8,\"data\":[{\"email\":\"a@b\"}],\"db_id\":-1}",
    };
    for (String body : bodies) {
      assertAgree(new JsonObject(body), body);
    }
  }

  @Test
  void agreeOnGeneratedBatches() {
    Random random = new Random(20261127);
    int valid = 0;
    int invalid = 0;
    for (int i = 0; i < 600; i++) {
      JsonObject body = validBatch(random, MODES[random.nextInt(MODES.length)]);
      if (i % 3 != 0) {
        mutate(body, random);
      }
      boolean verdict = assertAgree(body, body.encode());
      if (verdict) {
        valid++;
      } else {
        invalid++;
      }
    }
    assertThat(valid).as("valid bodies generated").isGreaterThan(150);
    assertThat(invalid).as("invalid bodies generated").isGreaterThan(150);
  }

  /**
   * A string where ECMA-262 and java.util.regex may part, through one schema field: the verdict
   * ECMA-262 gives its pattern, and whether java.util.regex as it is (what vertx-json-schema runs
   * on the untranslated schema) says the same.
   */
  private record Vector(String field, String value, boolean ecmaValid, boolean javaAgrees) {
    @Override
    public String toString() {
      return field + " " + EcmaPatternTest.escape(value);
    }
  }

  static Stream<Vector> ecmaVectors() {
    return Stream.of(
        new Vector("email", "a@b", true, true),
        // $ is the end of the input only; Java's also matches before a final line terminator.
        new Vector("email", "a@b\n", false, false),
        new Vector("email", "a@b\r\n", false, false),
        new Vector("email", "a@b\r", false, false),
        new Vector("email", "a@b\u2028", false, false),
        new Vector("email", "a@b\u2029", false, false),
        new Vector("email", "a@b\n\n", false, true),
        new Vector("email", "a@\nb", false, true),
        // U+0085 ends a line for Java's $, but is no ECMA-262 space, so [^@\s] takes it.
        new Vector("email", "a@b\u0085", true, true),
        new Vector("email", "a\u0085b@c", true, true),
        // \s is Unicode white space and line terminators, Java's ASCII only.
        new Vector("email", "a\u00a0b@c", false, false),
        new Vector("email", "a@b\u00a0c", false, false),
        new Vector("email", "a\u2028b@c", false, false),
        new Vector("email", "a\ufeffb@c", false, false),
        new Vector("email", "a\u3000b@c", false, false),
        new Vector("email", "a\u1680b@c", false, false),
        new Vector("email", "a\u2000b@c", false, false),
        new Vector("email", "a\u202fb@c", false, false),
        new Vector("email", "a\u000Bb@c", false, true),
        new Vector("email", "a\tb@c", false, true),
        // Not white space to either: U+180E left Unicode's spaces in 6.3, U+200B is a format char.
        new Vector("email", "a\u180eb@c", true, true),
        new Vector("email", "a\u200bb@c", true, true),
        new Vector("email", "\uD83D\uDE00@\uD83D\uDE00", true, true),
        new Vector("phone", "+7 (900) 000-00-02", true, true),
        new Vector("phone", "+7 (900) 000-00-02\n", false, false),
        new Vector("phone", "+79000000002\r\n", false, false),
        new Vector("phone", "+79000000002\r", false, false),
        new Vector("phone", "+79000000002\u2028", false, false),
        new Vector("phone", "+79000000002\u2029", false, false),
        new Vector("phone", "+79000000002\u0085", false, false),
        new Vector("phone", "+7900\n0000002", false, true),
        // [0-9] is ASCII to both: Arabic-Indic and fullwidth digits are no digits.
        new Vector("phone", "+7 \u0669\u0660\u0660 000-00-02", false, true),
        new Vector("phone", "+7 \uff19\uff10\uff10 000-00-02", false, true),
        new Vector("phone", "+7\u00a0900\u00a0000\u00a00002", false, true),
        new Vector("profile_id", PROFILE_ID, true, true),
        new Vector("profile_id", PROFILE_ID + "\n", false, false),
        new Vector("profile_id", PROFILE_ID + "\r\n", false, false),
        new Vector("profile_id", PROFILE_ID + "\r", false, false),
        new Vector("profile_id", PROFILE_ID + "\u2028", false, false),
        new Vector("profile_id", PROFILE_ID + "\u2029", false, false),
        new Vector("profile_id", PROFILE_ID + "\u0085", false, false),
        new Vector("profile_id", "\u0663" + PROFILE_ID.substring(1), false, true),
        new Vector("profile_id", "\uff13" + PROFILE_ID.substring(1), false, true),
        // The data URI prefix has no $: what follows it, line terminators included, is free.
        new Vector("attach", "data:text/plain;base64,SGk=", true, true),
        new Vector("attach", "data:text/plain;base64,SGk=\n", true, true),
        new Vector("attach", "data:text/plain\u2028;base64,SGk=", true, true),
        new Vector("attach", "data:text/\u0085plain;base64,SGk=", true, true),
        // ^ is the start of the input only, to both.
        new Vector("attach", "\ndata:text/plain;base64,SGk=", false, true));
  }

  /**
   * Each vector as a whole batch through the compiled check, against the verdict Rhino gives the
   * field's pattern; a refused one names the field in the 400's error_debug. Where java.util.regex
   * parts from ECMA-262, vertx-json-schema on the schema as written is shown to answer otherwise
   * (and given the translated patterns, as BatchSchema gives them, it agrees).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("ecmaVectors")
  void holdsEachFieldToEcmaScript(Vector vector) {
    String pattern = SchemaPatterns.of(SCHEMA.document(), vector.field);
    boolean ecma = ECMA.test(pattern, vector.value);
    assertThat(ecma).as("Rhino on %s", pattern).isEqualTo(vector.ecmaValid);
    JsonObject body = batchWith(vector.field, vector.value);
    boolean javaRegex = UNTRANSLATED.validate(body).getValid();

    assertThat(SCHEMA.isValid(body)).as("compiled check").isEqualTo(ecma);
    assertThat(SCHEMA.isValidByReference(body)).as("vertx-json-schema, translated").isEqualTo(ecma);
    assertThat(javaRegex)
        .as(
            vector.javaAgrees
                ? "vertx-json-schema as it is agrees with ECMA-262"
                : "vertx-json-schema as it is (java.util.regex) disagrees with ECMA-262")
        .isEqualTo(vector.javaAgrees == ecma);
    ApiError refused = catchThrowableOfType(ApiError.class, () -> SCHEMA.check(body));
    if (ecma) {
      assertThat(refused).isNull();
    } else {
      assertThat(refused.debug())
          .isEqualTo(pointerOf(vector.field) + ": does not match pattern " + pattern);
    }
  }

  private static String pointerOf(String field) {
    return field.equals("attach") ? "/attach/1/data" : "/data/1/" + field;
  }

  /**
   * A valid batch of the field's mode with the value second of three, where the walk must reach.
   */
  private static JsonObject batchWith(String field, String value) {
    JsonObject body = new JsonObject().put("token", "t").put("trigger_id", 8);
    JsonArray data = new JsonArray();
    JsonArray attach = new JsonArray();
    for (int i = 0; i < 3; i++) {
      String good =
          switch (field) {
            case "phone" -> "+7 900 000-00-0" + i;
            case "profile_id" -> PROFILE_ID.substring(0, 23) + i;
            default -> "u" + i + "@example.com";
          };
      String mine = i == 1 && !field.equals("attach") ? value : good;
      data.add(new JsonObject().put(field.equals("attach") ? "email" : field, mine));
      attach.add(
          new JsonObject()
              .put("name", "f" + i + ".txt")
              .put(
                  "data",
                  i == 1 && field.equals("attach") ? value : "data:text/plain;base64,SGk="));
    }
    if (!field.equals("email") && !field.equals("attach")) {
      body.put("matching", field);
    }
    return body.put("data", data).put("attach", attach);
  }

  private static boolean assertAgree(JsonObject body, String what) {
    boolean reference = SCHEMA.isValidByReference(body);
    assertThat(SCHEMA.isValid(body)).as(what).isEqualTo(reference);
    return reference;
  }

  private static JsonObject validBatch(Random random, String mode) {
    JsonObject body =
        new JsonObject()
            .put("token", "tok-" + random.nextInt(100))
            .put("trigger_id", 1 + random.nextInt(1000));
    if (!mode.equals("email") || random.nextBoolean()) {
      body.put("matching", mode);
    }
    if (mode.startsWith("custom")) {
      body.put("field_name", "Custom_ID");
    }
    JsonArray data = new JsonArray();
    for (int i = 0, n = 1 + random.nextInt(5); i < n; i++) {
      data.add(item(random, mode, i));
    }
    body.put("data", data);
    if (random.nextInt(4) == 0) {
      body.put(
          "attach",
          new JsonArray()
              .add(
                  new JsonObject()
                      .put("name", "a.txt")
                      .put("data", "data:text/plain;base64,SGk=")));
    }
    if (random.nextInt(4) == 0) {
      body.put("content", new JsonObject().put("H1", "hi"))
          .put("skip_triggers", random.nextBoolean());
    }
    return body;
  }

  private static JsonObject item(Random random, String mode, int i) {
    JsonObject item = new JsonObject();
    switch (mode) {
      case "phone", "phone_sub" -> item.put("phone", "+7 (900) 000-00-" + (10 + i));
      case "profile_id" -> item.put("profile_id", String.format("%024x", 1000 + i));
      case "push_sub" -> item.put("provider", "android-firebase").put("subscription_id", "s" + i);
      case "custom", "custom_sub" ->
          item.put("field_value", random.nextBoolean() ? (Object) ("00" + i) : (Object) i);
      case "email_phone", "email_phone_sub" -> {
        if (random.nextBoolean()) {
          item.put("email", "u" + i + "@example.com");
        } else {
          item.put("phone", "+7900000000" + i);
        }
      }
      default -> item.put("email", "u" + i + "@example.com");
    }
    if (random.nextInt(5) == 0) {
      item.put("custom_data", new JsonObject().put("k", i));
    }
    return item;
  }

  private static final Object[] ODD_VALUES = {
    null,
    "",
    "x",
    "8",
    0,
    -1,
    1.5,
    8.0,
    true,
    new JsonObject(),
    new JsonArray(),
    "not an email",
    "+1",
    "6606e08f10bcdd88297057a7",
    "data:text/plain;base64,",
    "fax"
  };

  /** One random breakage, or one harmless change, to a valid batch. */
  private static void mutate(JsonObject body, Random random) {
    JsonArray data = body.getJsonArray("data");
    Object odd = ODD_VALUES[random.nextInt(ODD_VALUES.length)];
    String[] topFields = {
      "token",
      "trigger_id",
      "matching",
      "field_name",
      "format",
      "content",
      "attach",
      "skip_triggers",
      "resource_id",
      "data",
      "unknown_field"
    };
    switch (random.nextInt(6)) {
      case 0 -> body.remove(topFields[random.nextInt(topFields.length)]);
      case 1 -> body.put(topFields[random.nextInt(topFields.length)], odd);
      case 2 -> {
        JsonObject item = data.getJsonObject(random.nextInt(data.size()));
        String key = item.fieldNames().iterator().next();
        item.put(key, odd);
      }
      case 3 -> {
        JsonObject item = data.getJsonObject(random.nextInt(data.size()));
        item.remove(item.fieldNames().iterator().next());
      }
      case 4 -> body.put("matching", MODES[random.nextInt(MODES.length)]);
      default -> data.add(odd);
    }
  }
}
