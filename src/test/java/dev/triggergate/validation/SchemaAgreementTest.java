package dev.triggergate.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.TestGateway;
import dev.triggergate.api.ApiError;
import dev.triggergate.intake.XmlBody;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The compiled fast check and vertx-json-schema must give the same verdict on every body: the
 * shared examples, hand-made edge cases, and hundreds of generated valid and broken batches.
 */
class SchemaAgreementTest {
  private static final BatchSchema SCHEMA = BatchSchema.load();
  private static final XmlBody XML = new XmlBody(SCHEMA.document());

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
