package dev.triggergate.intake;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.triggergate.api.ApiError;
import dev.triggergate.api.ResponseFormat;
import dev.triggergate.engine.StartBatch;
import dev.triggergate.validation.BatchSchema;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import org.assertj.core.api.SoftAssertions;

/**
 * Fuzzes {@link BatchReader#read}: bodies generated from the schema's rules are read as sent, and
 * every mutation of one ends in a batch the reference accepts or in a clean 400/401, never in
 * another exception.
 *
 * <p>Each property runs {@code jqwik.tries.default} tries (200, in src/test/resources/
 * junit-platform.properties; no property pins its own count, so an override reaches them all). A
 * longer run, about an hour on a 2-core machine (3,000 tries take two minutes):
 *
 * <pre>mvn -B -o test -Dtest=BatchFuzzTest -Djqwik.tries.default=100000</pre>
 *
 * <p>jqwik reports the tries, the seed and, for a failure, the shrunk sample of each property in
 * target/surefire-reports/dev.triggergate.intake.BatchFuzzTest-output.txt. Seeds are random; a
 * failing sample is kept in target/jqwik-database and tried first on the next run, and the printed
 * seed pins a run while debugging: {@code @Property(seed = "...")}.
 *
 * <p>The reference that judges an accepted body is independent of the code under test:
 * vertx-json-schema's {@link Validator} on the schema file, after a reading of the bytes as strict
 * as the upstream's must be, because the gateway forwards exactly these bytes and a body it reads
 * one way and Altcraft another is a bypass. So the reference refuses bytes that are not UTF-8 by
 * RFC 3629 (overlong forms, encoded surrogates, above U+10FFFF), a byte order mark (RFC 8259 §8.1:
 * a sender must not add one; Go's encoding/json, whose net/http wording Altcraft's errors carry,
 * rejects it), a repeated member name (RFC 8259 §4: parsers differ on which one wins), an escaped
 * lone surrogate (RFC 8259 §8.2, RFC 7493 §2.1: Go reads U+FFFD where Java keeps the surrogate) and
 * a number that overflows a double ({@code 1e999999}: Go refuses it, Jackson reads Infinity). The
 * escape of U+0000 is valid JSON and passes. A trigger_id is compared by exact value, so one
 * rounded into a long through a double cannot pass as the one sent.
 */
class BatchFuzzTest {
  private static final int MIB = 1024 * 1024;
  private static final long BODY_MAX = 10L * MIB;
  private static final BatchSchema SCHEMA = BatchSchema.load();

  /** The cap for bodies with files: every string may be as long as the body. */
  private static final long FILES_MAX = 100L << 20;

  private static final BatchReader READER = new BatchReader(SCHEMA, BODY_MAX, FILES_MAX, 0);
  private static final Reference REFERENCE = new Reference();

  /** The matching modes, read from the schema so that a mode added there is generated too. */
  private static final List<String> MODES = REFERENCE.modes();

  /** The top-level fields the schema names, for mutations that add one with an odd value. */
  private static final List<String> SCHEMA_FIELDS = REFERENCE.fields();

  /** SPEC §4: the modes whose items are found through a named custom field. */
  private static final Set<String> NEEDS_FIELD_NAME = Set.of("custom", "custom_sub");

  /** A file an XML entity or XInclude could read; its text must never reach a batch. */
  private static final String SECRET_TEXT = "fuzz-secret-5f0c2b";

  private static final Path SECRET = secretFile();

  // ---------------------------------------------------------------------------------------------
  // 1. Valid bodies pass

  @Property
  void validBodiesAreReadAsSent(@ForAll("anyBatches") Batch batch) {
    Statistics.label("matching").collect(batch.mode());
    Statistics.label("syntax").collect(batch.kind());
    byte[] bytes = batch.bytes();
    // The generator, not the reader, is wrong when the reference refuses what it made.
    JsonObject asJson =
        (JsonObject) io.vertx.core.json.Json.decodeValue(Buffer.buffer(jsonOf(batch)));
    assertThat(REFERENCE.firstError(asJson)).as("generated body is valid").isNull();

    StartBatch read = readOrFail(READER, batch.kind(), bytes, batch.facts());

    assertThat(read.itemCount()).isEqualTo(batch.items().size());
    assertThat(read.triggerId()).isEqualTo(batch.triggerId());
    assertThat(read.matching().wireName()).isEqualTo(batch.mode());
    assertThat(read.token()).isEqualTo(batch.expectedToken());
    assertThat(read.fieldName()).isEqualTo(batch.document().get("field_name"));
    assertThat(read.format()).isEqualTo(batch.expectedFormat());
    assertThat(canonical(read.items())).isEqualTo(canonical(batch.expectedItems()));
    assertThat(read.body().getBytes()).as("the bytes kept for forwarding").isEqualTo(bytes);

    Statistics.label("matching").coverage(c -> MODES.forEach(m -> c.check(m).count(n -> n > 0)));
    Statistics.label("syntax")
        .coverage(
            c -> {
              c.check(BodyKind.JSON).count(n -> n > 0);
              c.check(BodyKind.XML).count(n -> n > 0);
            });
  }

  // ---------------------------------------------------------------------------------------------
  // 2. Mutated bodies get a clean refusal

  @Property
  void byteMutationsEndCleanly(@ForAll("byteMutations") Case mutated) {
    checkOutcome(mutated);
  }

  @Property
  void structuralMutationsEndCleanly(@ForAll("structuralMutations") Case mutated) {
    checkOutcome(mutated);
  }

  @Property
  void encodingMutationsEndCleanly(@ForAll("encodingMutations") Case mutated) {
    checkOutcome(mutated);
  }

  @Property
  void oddWholeBodiesEndCleanly(@ForAll("oddBodies") Case odd) {
    checkOutcome(odd);
  }

  @Property
  void hostileXmlEndsCleanly(@ForAll("hostileXml") Case hostile) {
    checkOutcome(hostile);
  }

  // ---------------------------------------------------------------------------------------------
  // 3. The known hazards, one by one

  @Property
  void duplicateKeysAreRefused(
      @ForAll("jsonBatches") Batch batch, @ForAll("duplications") Tweak duplicate) {
    Case mutated = duplicate.apply(batch);
    assertRefusedWith400(mutated);
  }

  @Example
  void aRepeatedTriggerIdIsRefused() {
    assertRefusedWith400(
        json(
            "a repeated trigger_id",
            "{\"token\":\"t\",\"trigger_id\":1,\"trigger_id\":2,\"data\":[{\"email\":\"a@b.c\"}]}"));
  }

  @Property
  void invalidUtf8IsRefused(
      @ForAll("anyBatches") Batch batch,
      @ForAll("invalidUtf8") Seq sequence,
      @ForAll @IntRange(min = 0, max = 10_000) int target,
      @ForAll("fractions") double at) {
    assertRefusedWith400(new Splice(target, at, sequence).apply(batch));
  }

  @Property
  void integersBeyondLongAreRefused(
      @ForAll("anyBatches") Batch batch,
      @ForAll("hugeIntegers") Raw huge,
      @ForAll("integerFields") String field) {
    Batch mutated = batch.with(batch.document().put(field, huge));
    assertRefusedWith400(mutated.asCase(field + " := " + huge));
  }

  @Example
  void aThirtyDigitTriggerIdIsRefused() {
    assertRefusedWith400(
        json(
            "a 30-digit trigger_id",
            "{\"token\":\"t\",\"trigger_id\":123456789012345678901234567890,"
                + "\"data\":[{\"email\":\"a@b.c\"}]}"));
  }

  @Example
  void aTriggerIdJustAboveLongIsRefusedInEverySpelling() {
    // 2^63 and 2^64 + 1: through a double the first becomes Long.MAX_VALUE, a silent truncation.
    SoftAssertions soft = new SoftAssertions();
    for (String spelling :
        List.of(
            "9223372036854775808",
            "9223372036854775808e0",
            "9223372036854775808.0",
            "9.223372036854775808e18",
            "0.9223372036854775808E19",
            "18446744073709551617")) {
      Case c =
          json(
              "trigger_id " + spelling,
              "{\"token\":\"t\",\"trigger_id\":" + spelling + ",\"data\":[{\"email\":\"a@b.c\"}]}");
      soft.assertThat(verdict(c)).as(c.toString()).isEqualTo("refused 400");
    }
    soft.assertAll();
  }

  @Property
  void oversizedBodiesWithoutFilesAreTooLarge(
      @ForAll("batchesWithoutFiles") Batch batch,
      @ForAll Oversize how,
      @ForAll("fractions") double capAt) {
    Case big = how.apply(batch);
    long cap = (long) Math.floor(capAt * big.bytes().length);
    BatchReader reader = new BatchReader(SCHEMA, cap, FILES_MAX, 0);
    ApiError refusal = refusalOf(reader, big);
    assertThat(refusal).as("refused %s under a cap of %d bytes", big, cap).isNotNull();
    assertThat(refusal.code().code()).isEqualTo(400);
    assertThat(refusal.debug()).isEqualTo("http: request body too large");
    assertThat(refusal.closeConnection()).as("connection closed after the answer").isTrue();
  }

  @Property
  void bodiesUpToThePlainCapAreRead(
      @ForAll("anyBatches") Batch batch, @ForAll @IntRange(min = 0, max = 64) int slack) {
    byte[] bytes = batch.bytes();
    BatchReader reader = new BatchReader(SCHEMA, bytes.length + (long) slack, FILES_MAX, 0);
    assertThat(readOrFail(reader, batch.kind(), bytes, batch.facts()).itemCount())
        .isEqualTo(batch.items().size());
  }

  @Property
  void bodiesWithFilesMayPassThePlainCap(
      @ForAll("batchesWithFiles") Batch batch, @ForAll("fractions") double capAt) {
    // The larger cap for bodies with files was enforced while the body streamed in.
    byte[] bytes = batch.bytes();
    BatchReader reader =
        new BatchReader(SCHEMA, (long) Math.floor(capAt * bytes.length), FILES_MAX, 0);
    assertThat(readOrFail(reader, batch.kind(), bytes, batch.facts()).itemCount())
        .isEqualTo(batch.items().size());
  }

  @Example
  void aThirtyMiBFileUnderTheFilesCapIsAccepted() {
    assertBigFileAccepted(BodyKind.JSON);
  }

  @Example
  void aThirtyMiBFileInXmlUnderTheFilesCapIsAccepted() {
    assertBigFileAccepted(BodyKind.XML);
  }

  @Property
  void theItemCapIsEnforced(
      @ForAll("anyBatches") Batch batch, @ForAll @IntRange(min = 1, max = 60) int cap) {
    BatchReader reader = new BatchReader(SCHEMA, BODY_MAX, FILES_MAX, cap);
    int items = batch.items().size();
    Statistics.label("over the cap").collect(items > cap);
    if (items <= cap) {
      assertThat(readOrFail(reader, batch.kind(), batch.bytes(), batch.facts()).itemCount())
          .isEqualTo(items);
    } else {
      ApiError refusal = refusalOf(reader, batch.asCase("cap " + cap));
      assertThat(refusal).as("%d items over a cap of %d", items, cap).isNotNull();
      assertThat(refusal.code().code()).isEqualTo(400);
      assertThat(refusal.debug()).contains("too many items");
    }
    Statistics.label("over the cap")
        .coverage(
            c -> {
              c.check(true).count(n -> n > 0);
              c.check(false).count(n -> n > 0);
            });
  }

  @Property
  void noTokenAnywhereIs401(@ForAll("anyBatches") Batch batch) {
    Batch bare =
        new Batch(batch.kind(), batch.style(), batch.document().remove("token"), null, null, null);
    Case c = bare.asCase("no token in the body, the header or the query");
    assertThat(verdict(c)).as(c.toString()).isEqualTo("refused 401");
  }

  // ---------------------------------------------------------------------------------------------
  // Outcomes

  /** Reads a mutated body: a batch must be one the reference accepts, a refusal a 400 or 401. */
  private static void checkOutcome(Case c) {
    // Collected only after the checks: jqwik's report fails on a label left empty by a failure,
    // and that error would hide the failure itself.
    String result = outcome(c);
    Statistics.label("outcome").collect(result);
  }

  private static String outcome(Case c) {
    StartBatch read;
    try {
      read = READER.read(Buffer.buffer(c.bytes()), c.kind(), c.facts());
    } catch (ApiError refusal) {
      int code = refusal.code().code();
      assertThat(code).as("error code (%s) for %s", refusal.debug(), c).isIn(400, 401);
      if (code == 401) {
        assertNoTokenAnywhere(c);
      }
      return "refused " + code;
    } catch (Throwable other) {
      throw new AssertionError(
          "read() may only throw ApiError, but threw " + other + "\nfor " + c, other);
    }
    if (c.kind() == BodyKind.JSON) {
      checkAcceptedJson(c, read);
    } else {
      checkAcceptedXml(c, read);
    }
    return "accepted";
  }

  private static void checkAcceptedJson(Case c, StartBatch read) {
    Reading reading = REFERENCE.readJson(c.bytes());
    assertThat(reading.refusal()).as("the reference refuses what was accepted: %s", c).isNull();
    JsonObject document = reading.document();
    // Exact, so that a value rounded or clamped into a long cannot pass as the one sent.
    assertThat(new BigDecimal(read.triggerId()))
        .as("trigger_id of %s", c)
        .isEqualByComparingTo(reading.triggerId());
    checkAcceptedAgainst(c, read, document);
  }

  private static void checkAcceptedXml(Case c, StartBatch read) {
    assertThat(strictUtf8(c.bytes())).as("accepted XML that is not UTF-8: %s", c).isNotNull();
    assertThat(new String(c.bytes(), StandardCharsets.UTF_8))
        .as("accepted XML with a DOCTYPE: %s", c)
        .doesNotContain("<!DOCTYPE");
    assertThat(read.items().encode())
        .as("an entity or XInclude was expanded: %s", c)
        .doesNotContain(SECRET_TEXT)
        .doesNotContain("expanded-entity");
    JsonObject document = new XmlBody(REFERENCE.schema()).decode(Buffer.buffer(c.bytes()));
    assertThat(REFERENCE.firstError(document))
        .as("the reference refuses what was accepted: %s", c)
        .isNull();
    assertThat(read.triggerId()).isEqualTo(document.getLong("trigger_id"));
    checkAcceptedAgainst(c, read, document);
  }

  private static void checkAcceptedAgainst(Case c, StartBatch read, JsonObject document) {
    assertThat(read.itemCount())
        .as("items of %s", c)
        .isEqualTo(document.getJsonArray("data").size());
    assertThat(read.matching().wireName())
        .as("matching of %s", c)
        .isEqualTo(document.getString("matching", "email"));
    String token = document.getString("token");
    if (token == null) {
      token = c.facts().headerToken() != null ? c.facts().headerToken() : c.facts().queryToken();
    }
    assertThat(read.token()).as("token of %s", c).isEqualTo(token);
  }

  /** A 401 is right only when no token was sent anywhere. */
  private static void assertNoTokenAnywhere(Case c) {
    assertThat(c.facts().headerToken()).as("401 although a header token came: %s", c).isNull();
    assertThat(c.facts().queryToken()).as("401 although a query token came: %s", c).isNull();
    JsonObject document =
        c.kind() == BodyKind.JSON
            ? (JsonObject) io.vertx.core.json.Json.decodeValue(Buffer.buffer(c.bytes()))
            : new XmlBody(REFERENCE.schema()).decode(Buffer.buffer(c.bytes()));
    // A JSON null is no token: the reader then looks in the header and the query (SPEC §2).
    assertThat(document.getValue("token")).as("401 although the body has a token: %s", c).isNull();
  }

  private static void assertRefusedWith400(Case c) {
    assertThat(verdict(c)).as(c.toString()).isEqualTo("refused 400");
  }

  /** "accepted" or "refused" and the code; any exception other than ApiError fails. */
  private static String verdict(Case c) {
    ApiError refusal = refusalOf(READER, c);
    return refusal == null ? "accepted" : "refused " + refusal.code().code();
  }

  private static ApiError refusalOf(BatchReader reader, Case c) {
    try {
      reader.read(Buffer.buffer(c.bytes()), c.kind(), c.facts());
      return null;
    } catch (ApiError refusal) {
      return refusal;
    } catch (Throwable other) {
      throw new AssertionError(
          "read() may only throw ApiError, but threw " + other + "\nfor " + c, other);
    }
  }

  private static StartBatch readOrFail(
      BatchReader reader, BodyKind kind, byte[] bytes, RequestFacts facts) {
    try {
      return reader.read(Buffer.buffer(bytes), kind, facts);
    } catch (ApiError refusal) {
      throw new AssertionError(
          "refused with "
              + refusal.code().code()
              + " \""
              + refusal.debug()
              + "\": "
              + new Case("valid", kind, bytes, facts));
    }
  }

  private static void assertBigFileAccepted(BodyKind kind) {
    BatchReader reader = new BatchReader(SCHEMA, BODY_MAX, FILES_MAX, 0);
    byte[] body = bigFileBody(kind);
    assertThat(body.length).isBetween(30 * MIB, 31 * MIB);
    StartBatch read = readOrFail(reader, kind, body, facts(kind, null, null, null));
    assertThat(read.itemCount()).isEqualTo(1);
    assertThat(read.triggerId()).isEqualTo(8);
    assertThat(read.token()).isEqualTo("tok");
  }

  /** One body of a little over 30 MiB, nearly all of it one base64 file: built once per test. */
  private static byte[] bigFileBody(BodyKind kind) {
    byte[] payload = new byte[30 * MIB / 4 * 3];
    new Random(30).nextBytes(payload);
    byte[] base64 = Base64.getEncoder().encode(payload);
    String prefix =
        kind == BodyKind.JSON
            ? "{\"token\":\"tok\",\"trigger_id\":8,\"data\":[{\"email\":\"a@example.com\"}],"
                + "\"attach\":[{\"name\":\"big.bin\",\"data\":\"data:application/octet-stream;base64,"
            : "<xml><token>tok</token><trigger_id>8</trigger_id><data><email>a@example.com</email>"
                + "</data><attach><name>big.bin</name><data>data:application/octet-stream;base64,";
    String suffix = kind == BodyKind.JSON ? "\"}]}" : "</data></attach></xml>";
    ByteArrayOutputStream out = new ByteArrayOutputStream(base64.length + 512);
    out.writeBytes(prefix.getBytes(StandardCharsets.UTF_8));
    out.writeBytes(base64);
    out.writeBytes(suffix.getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  // ---------------------------------------------------------------------------------------------
  // The reference

  /** What the reference made of a JSON body: its document, or why it is not a valid batch. */
  record Reading(JsonObject document, BigDecimal triggerId, String refusal) {
    static Reading refused(String why) {
      return new Reading(null, null, why);
    }
  }

  /** The judge of an accepted body, built from the schema file alone. */
  static final class Reference {
    private final JsonObject schema;
    private final Validator validator;
    private final JsonFactory strict =
        JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    Reference() {
      try (InputStream in = BatchFuzzTest.class.getResourceAsStream(BatchSchema.RESOURCE)) {
        schema = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      // As SchemaAgreementTest builds it: without a base URI vertx-json-schema throws, and the
      // default output format carries no error details.
      validator =
          Validator.create(
              JsonSchema.of(schema.copy()),
              new JsonSchemaOptions()
                  .setDraft(Draft.DRAFT202012)
                  .setBaseUri("https://trigger-gateway.dev/schema/")
                  .setOutputFormat(OutputFormat.Basic));
    }

    JsonObject schema() {
      return schema.copy();
    }

    List<String> modes() {
      List<String> modes = new ArrayList<>();
      schema
          .getJsonObject("properties")
          .getJsonObject("matching")
          .getJsonArray("enum")
          .forEach(m -> modes.add((String) m));
      return List.copyOf(modes);
    }

    List<String> fields() {
      return List.copyOf(new TreeSet<>(schema.getJsonObject("properties").fieldNames()));
    }

    /** The innermost schema violation, or null when the document is valid. */
    String firstError(JsonObject document) {
      OutputUnit result = validator.validate(document);
      if (result.getValid()) {
        return null;
      }
      List<OutputUnit> errors = result.getErrors();
      return errors == null || errors.isEmpty()
          ? "invalid"
          : errors.get(errors.size() - 1).getInstanceLocation()
              + ": "
              + errors.get(errors.size() - 1).getError();
    }

    Reading readJson(byte[] bytes) {
      if (bytes.length >= 3
          && (bytes[0] & 0xff) == 0xEF
          && (bytes[1] & 0xff) == 0xBB
          && (bytes[2] & 0xff) == 0xBF) {
        return Reading.refused("a byte order mark");
      }
      String text = strictUtf8(bytes);
      if (text == null) {
        return Reading.refused("not UTF-8");
      }
      BigDecimal triggerId = null;
      try (JsonParser parser = strict.createParser(text)) {
        JsonToken token = parser.nextToken();
        if (token != JsonToken.START_OBJECT) {
          return Reading.refused("not a JSON object");
        }
        int depth = 0;
        do {
          switch (token) {
            case START_OBJECT, START_ARRAY -> depth++;
            case END_OBJECT, END_ARRAY -> depth--;
            case FIELD_NAME, VALUE_STRING -> {
              if (hasLoneSurrogate(parser.getText())) {
                return Reading.refused("a lone surrogate in " + parser.getText());
              }
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
              BigDecimal number = new BigDecimal(parser.getText());
              if (Double.isInfinite(number.doubleValue())) {
                return Reading.refused("a number beyond a double: " + parser.getText());
              }
              if (depth == 1 && "trigger_id".equals(parser.currentName())) {
                triggerId = number;
              }
            }
            default -> {
              // true, false and null need no check.
            }
          }
        } while (depth > 0 && (token = parser.nextToken()) != null);
        if (parser.nextToken() != null) {
          return Reading.refused("content after the object");
        }
      } catch (IOException e) {
        return Reading.refused("not strict JSON: " + e.getMessage());
      }
      JsonObject document = (JsonObject) io.vertx.core.json.Json.decodeValue(Buffer.buffer(bytes));
      String error = firstError(document);
      return error == null ? new Reading(document, triggerId, null) : Reading.refused(error);
    }

    private static boolean hasLoneSurrogate(String text) {
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (Character.isHighSurrogate(c)) {
          if (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
            return true;
          }
          i++;
        } else if (Character.isLowSurrogate(c)) {
          return true;
        }
      }
      return false;
    }
  }

  /** The text, or null when the bytes are not UTF-8 by RFC 3629 (Java's decoder is that strict). */
  private static String strictUtf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** Numbers compared by value and maps by content, whatever types the decoder chose. */
  private static Object canonical(Object value) {
    if (value instanceof JsonObject object) {
      return canonical(object.getMap());
    }
    if (value instanceof JsonArray array) {
      return canonical(array.getList());
    }
    if (value instanceof Obj object) {
      Map<String, Object> map = new LinkedHashMap<>();
      object.fields().forEach(f -> map.put(f.key(), canonical(f.value())));
      return map;
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put((String) k, canonical(v)));
      return out;
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      list.forEach(v -> out.add(canonical(v)));
      return out;
    }
    if (value instanceof Number number) {
      return new BigDecimal(number.toString()).stripTrailingZeros();
    }
    return value;
  }

  // ---------------------------------------------------------------------------------------------
  // The model: what a generated body holds, rendered as JSON or XML

  /** A member of an object; several may share a key, which a JsonObject cannot express. */
  record Field(String key, Object value) {}

  /** An object in member order. */
  record Obj(List<Field> fields) {
    Obj {
      fields = Collections.unmodifiableList(new ArrayList<>(fields));
    }

    static Obj of(Map<String, ?> map) {
      List<Field> fields = new ArrayList<>();
      map.forEach((k, v) -> fields.add(new Field(k, v)));
      return new Obj(fields);
    }

    Object get(String key) {
      for (Field f : fields) {
        if (f.key().equals(key)) {
          return f.value();
        }
      }
      return null;
    }

    /** Replaces the first member named {@code key}, or appends one. */
    Obj put(String key, Object value) {
      List<Field> out = new ArrayList<>(fields);
      for (int i = 0; i < out.size(); i++) {
        if (out.get(i).key().equals(key)) {
          out.set(i, new Field(key, value));
          return new Obj(out);
        }
      }
      out.add(new Field(key, value));
      return new Obj(out);
    }

    Obj remove(String key) {
      List<Field> out = new ArrayList<>(fields);
      out.removeIf(f -> f.key().equals(key));
      return new Obj(out);
    }
  }

  /** Bytes written as they are, one spelling per syntax: numbers, nesting, JSON null. */
  record Raw(String label, byte[] json, byte[] xml) {
    static Raw of(String label, String json, String xml) {
      return new Raw(
          label, json.getBytes(StandardCharsets.UTF_8), xml.getBytes(StandardCharsets.UTF_8));
    }

    static Raw same(String text) {
      return of(text, text, text);
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** A string with bytes put into it unescaped, for encoding hazards. */
  record Spliced(String before, byte[] raw, String after) {}

  /** A byte sequence to splice into a string, in its JSON and its XML spelling. */
  record Seq(String label, byte[] json, byte[] xml) {
    static Seq bytes(String label, int... values) {
      byte[] b = new byte[values.length];
      for (int i = 0; i < values.length; i++) {
        b[i] = (byte) values[i];
      }
      return new Seq(label, b, b);
    }

    static Seq text(String label, String json, String xml) {
      return new Seq(
          label, json.getBytes(StandardCharsets.UTF_8), xml.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
      return label;
    }
  }

  private static final Raw JSON_NULL = Raw.of("null", "null", "");

  /** How a body is spelled; none of it changes what the body means. */
  record Style(
      boolean escapeNonAscii,
      boolean spaced,
      boolean prolog,
      boolean cdata,
      boolean padNumbers,
      String root) {}

  /** A generated valid batch and what the request said besides the body. */
  record Batch(
      BodyKind kind,
      Style style,
      Obj document,
      String headerToken,
      String queryToken,
      ResponseFormat queryFormat) {

    byte[] bytes() {
      return kind == BodyKind.JSON
          ? new JsonText(style).document(document)
          : new XmlText(style).document(document);
    }

    RequestFacts facts() {
      return BatchFuzzTest.facts(kind, headerToken, queryToken, queryFormat);
    }

    Batch with(Obj changed) {
      return new Batch(kind, style, changed, headerToken, queryToken, queryFormat);
    }

    Case asCase(String what) {
      return new Case(what, kind, bytes(), facts());
    }

    long triggerId() {
      return (Long) document.get("trigger_id");
    }

    String mode() {
      Object mode = document.get("matching");
      return mode == null ? "email" : (String) mode;
    }

    List<Obj> items() {
      List<Obj> items = new ArrayList<>();
      ((List<?>) document.get("data")).forEach(i -> items.add((Obj) i));
      return items;
    }

    String expectedToken() {
      Object inBody = document.get("token");
      if (inBody != null) {
        return (String) inBody;
      }
      return headerToken != null ? headerToken : queryToken;
    }

    ResponseFormat expectedFormat() {
      Object named = document.get("format");
      if (named != null) {
        return ResponseFormat.named((String) named);
      }
      return queryFormat == null ? ResponseFormat.JSON : queryFormat;
    }

    /** The items as the decoder must give them: in XML every value inside data is text. */
    List<Object> expectedItems() {
      List<Object> items = new ArrayList<>();
      for (Obj item : items()) {
        items.add(kind == BodyKind.JSON ? item : asXmlText(item));
      }
      return items;
    }

    @Override
    public String toString() {
      return new Case("valid", kind, bytes(), facts()).toString();
    }
  }

  private static Object asXmlText(Object value) {
    if (value instanceof Obj object) {
      List<Field> fields = new ArrayList<>();
      object.fields().forEach(f -> fields.add(new Field(f.key(), asXmlText(f.value()))));
      return new Obj(fields);
    }
    return value instanceof Double d ? Double.toString(d) : String.valueOf(value);
  }

  /** The JSON spelling of a batch's document, whatever syntax the batch is sent in. */
  private static byte[] jsonOf(Batch batch) {
    return new JsonText(new Style(false, false, false, false, false, "xml"))
        .document(batch.document());
  }

  private static RequestFacts facts(
      BodyKind kind, String headerToken, String queryToken, ResponseFormat queryFormat) {
    return new RequestFacts(
        "fuzz-request",
        headerToken,
        queryToken,
        queryFormat,
        kind == BodyKind.JSON ? "application/json" : "application/xml",
        null);
  }

  /** One body to read, with what was done to it. */
  record Case(String what, BodyKind kind, byte[] bytes, RequestFacts facts) {
    @Override
    public String toString() {
      return what
          + " | "
          + kind
          + " body of "
          + bytes.length
          + " bytes: "
          + show(bytes)
          + (facts.headerToken() == null ? "" : " | Bearer " + facts.headerToken())
          + (facts.queryToken() == null ? "" : " | ?token=" + facts.queryToken())
          + (facts.queryFormat() == null ? "" : " | ?format=" + facts.queryFormat());
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Case c
          && c.what.equals(what)
          && c.kind == kind
          && Arrays.equals(c.bytes, bytes)
          && c.facts.equals(facts);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }
  }

  private static Case json(String what, String body) {
    return new Case(
        what,
        BodyKind.JSON,
        body.getBytes(StandardCharsets.UTF_8),
        facts(BodyKind.JSON, null, null, null));
  }

  /** Bytes for a report: text as text, runs shortened, bytes that are not UTF-8 as \xNN. */
  static String show(byte[] bytes) {
    // A 30 MiB body needs no more than its opening to be recognised.
    int limit = bytes.length > MIB ? 300 : 1500;
    StringBuilder out = new StringBuilder("'");
    int i = 0;
    while (i < bytes.length && out.length() < limit) {
      int b = bytes[i] & 0xff;
      int run = 1;
      while (i + run < bytes.length && bytes[i + run] == bytes[i]) {
        run++;
      }
      if (run >= 12 && b >= 0x20 && b < 0x7f) {
        out.append((char) b).append('×').append(run);
        i += run;
        continue;
      }
      if (b >= 0x20 && b < 0x7f) {
        out.append((char) b);
        i++;
        continue;
      }
      if (b == '\n' || b == '\t' || b == '\r') {
        out.append(b == '\n' ? "\\n" : b == '\t' ? "\\t" : "\\r");
        i++;
        continue;
      }
      int length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
      String decoded =
          length > 1 && i + length <= bytes.length
              ? strictUtf8(Arrays.copyOfRange(bytes, i, i + length))
              : null;
      if (decoded != null) {
        out.append(decoded);
        i += length;
      } else {
        out.append(String.format("\\x%02X", b));
        i++;
      }
    }
    out.append('\'');
    if (i < bytes.length) {
      out.append("… (").append(bytes.length - i).append(" more bytes)");
    }
    return out.toString();
  }

  /** Writes the model as JSON text. */
  static final class JsonText {
    private final Style style;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    JsonText(Style style) {
      this.style = style;
    }

    byte[] document(Obj document) {
      value(document, 0);
      return out.toByteArray();
    }

    private void value(Object value, int depth) {
      if (value == null) {
        ascii("null");
      } else if (value instanceof String s) {
        ascii("\"");
        escaped(s);
        ascii("\"");
      } else if (value instanceof Double d) {
        ascii(Double.toString(d));
      } else if (value instanceof Number || value instanceof Boolean) {
        ascii(value.toString());
      } else if (value instanceof Raw raw) {
        out.writeBytes(raw.json());
      } else if (value instanceof Spliced s) {
        ascii("\"");
        escaped(s.before());
        out.writeBytes(s.raw());
        escaped(s.after());
        ascii("\"");
      } else if (value instanceof Obj object) {
        ascii("{");
        for (int i = 0; i < object.fields().size(); i++) {
          Field f = object.fields().get(i);
          ascii(i == 0 ? "" : ",");
          space(depth + 1);
          value(f.key(), depth + 1);
          ascii(style.spaced() ? " : " : ":");
          value(f.value(), depth + 1);
        }
        space(depth);
        ascii("}");
      } else if (value instanceof List<?> list) {
        ascii("[");
        for (int i = 0; i < list.size(); i++) {
          ascii(i == 0 ? "" : ",");
          space(depth + 1);
          value(list.get(i), depth + 1);
        }
        space(depth);
        ascii("]");
      } else {
        throw new IllegalArgumentException("no JSON for " + value.getClass());
      }
    }

    private void space(int depth) {
      if (style.spaced()) {
        ascii("\n" + "\t".repeat(Math.min(depth, 4)) + " ".repeat(depth % 3));
      }
    }

    private void escaped(String text) {
      text.codePoints()
          .forEach(
              cp -> {
                switch (cp) {
                  case '"' -> ascii("\\\"");
                  case '\\' -> ascii("\\\\");
                  case '\n' -> ascii("\\n");
                  case '\t' -> ascii("\\t");
                  case '\r' -> ascii("\\r");
                  case '/' -> ascii(style.escapeNonAscii() ? "\\/" : "/");
                  default -> {
                    if (cp < 0x20 || (cp >= 0x80 && style.escapeNonAscii())) {
                      for (char c : Character.toChars(cp)) {
                        ascii(String.format("\\u%04X", (int) c));
                      }
                    } else {
                      out.writeBytes(Character.toString(cp).getBytes(StandardCharsets.UTF_8));
                    }
                  }
                }
              });
    }

    private void ascii(String text) {
      out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Writes the model in SPEC §3's XML form: one element per field, repeated for arrays. */
  static final class XmlText {
    static final String PROLOG = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

    private final Style style;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    XmlText(Style style) {
      this.style = style;
    }

    byte[] document(Obj document) {
      if (style.prolog()) {
        ascii(PROLOG + (style.spaced() ? "\n" : ""));
      }
      ascii("<" + style.root() + ">");
      for (Field f : document.fields()) {
        field(f.key(), f.value(), 1);
      }
      indent(0);
      ascii("</" + style.root() + ">");
      return out.toByteArray();
    }

    private void field(String name, Object value, int depth) {
      if (value instanceof List<?> list) {
        for (Object element : list) {
          field(name, element, depth);
        }
        return;
      }
      indent(depth);
      ascii("<" + name + ">");
      content(value, depth);
      ascii("</" + name + ">");
    }

    private void content(Object value, int depth) {
      if (value == null) {
        return;
      }
      if (value instanceof String s) {
        text(s, style.cdata());
      } else if ((value instanceof Long || value instanceof Boolean)
          && depth == 1
          && style.padNumbers()) {
        // The decoder trims the text of typed top-level fields.
        ascii(" " + value + "\n ");
      } else if (value instanceof Double d) {
        ascii(Double.toString(d));
      } else if (value instanceof Number || value instanceof Boolean) {
        ascii(value.toString());
      } else if (value instanceof Raw raw) {
        out.writeBytes(raw.xml());
      } else if (value instanceof Spliced s) {
        text(s.before(), false);
        out.writeBytes(s.raw());
        text(s.after(), false);
      } else if (value instanceof Obj object) {
        for (Field f : object.fields()) {
          field(f.key(), f.value(), depth + 1);
        }
        if (!object.fields().isEmpty()) {
          indent(depth);
        }
      } else {
        throw new IllegalArgumentException("no XML for " + value.getClass());
      }
    }

    private void text(String text, boolean cdata) {
      if (cdata && !text.isEmpty() && !text.contains("]]>")) {
        ascii("<![CDATA[" + text + "]]>");
        return;
      }
      text.codePoints()
          .forEach(
              cp -> {
                switch (cp) {
                  case '&' -> ascii("&amp;");
                  case '<' -> ascii("&lt;");
                  case '>' -> ascii("&gt;");
                  default ->
                      ascii(
                          cp >= 0x80 && style.escapeNonAscii()
                              ? "&#x" + Integer.toHexString(cp) + ";"
                              : Character.toString(cp));
                }
              });
    }

    private void indent(int depth) {
      if (style.spaced()) {
        ascii("\n" + "  ".repeat(depth));
      }
    }

    private void ascii(String text) {
      out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Generators of valid batches, following the schema's rules

  @Provide
  Arbitrary<Batch> anyBatches() {
    return Arbitraries.of(BodyKind.values()).flatMap(kind -> batches(kind, 0.2));
  }

  @Provide
  Arbitrary<Batch> jsonBatches() {
    return batches(BodyKind.JSON, 0.2);
  }

  @Provide
  Arbitrary<Batch> batchesWithoutFiles() {
    return Arbitraries.of(BodyKind.values()).flatMap(kind -> batches(kind, 0));
  }

  @Provide
  Arbitrary<Batch> batchesWithFiles() {
    return Arbitraries.of(BodyKind.values()).flatMap(kind -> batches(kind, 1));
  }

  @Provide
  Arbitrary<Double> fractions() {
    return Arbitraries.doubles().between(0, 1).ofScale(6).filter(f -> f < 1);
  }

  /** Built once per shape: flatMap would otherwise build a new arbitrary for every try. */
  private static final Map<String, Arbitrary<Batch>> BATCHES = new ConcurrentHashMap<>();

  private static Arbitrary<Batch> batches(BodyKind kind, double attachProbability) {
    // Modes drawn evenly: as edge cases, the first and last were drawn over half the time, and in
    // one run of 200 tries a mode never came up (the coverage check then fails).
    return Arbitraries.of(MODES)
        .withoutEdgeCases()
        .flatMap(
            mode ->
                BATCHES.computeIfAbsent(
                    kind + " " + mode + " " + attachProbability,
                    shape -> batch(kind, mode, attachProbability)));
  }

  /**
   * Where the token travels (SPEC §2): the body wins over the header, the header over the query.
   */
  enum TokenPlace {
    BODY,
    BODY_AND_HEADER,
    HEADER,
    HEADER_AND_QUERY,
    QUERY
  }

  /** Collects the parts of a batch; jqwik's builder fills it from the arbitraries below. */
  static final class BatchDraft {
    final BodyKind kind;
    final String mode;
    List<Obj> items = List.of();
    long triggerId = 1;
    String bodyToken = "t";
    String headerToken = "h";
    String queryToken = "q";
    TokenPlace place = TokenPlace.BODY;
    ResponseFormat queryFormat;
    boolean explicitMatching;
    String fieldName = "f";
    boolean fieldNameAnyway;
    Style style;
    long order;
    final List<Field> extras = new ArrayList<>();

    BatchDraft(BodyKind kind, String mode) {
      this.kind = kind;
      this.mode = mode;
    }

    BatchDraft extra(String key, Object value) {
      extras.add(new Field(key, value));
      return this;
    }

    Batch build() {
      List<Field> fields = new ArrayList<>();
      boolean inBody = place == TokenPlace.BODY || place == TokenPlace.BODY_AND_HEADER;
      if (inBody) {
        fields.add(new Field("token", bodyToken));
      }
      fields.add(new Field("trigger_id", triggerId));
      if (!mode.equals("email") || explicitMatching) {
        fields.add(new Field("matching", mode));
      }
      if (NEEDS_FIELD_NAME.contains(mode) || fieldNameAnyway) {
        fields.add(new Field("field_name", fieldName));
      }
      fields.add(new Field("data", new ArrayList<Object>(items)));
      fields.addAll(extras);
      Collections.shuffle(fields, new Random(order));
      boolean header = place == TokenPlace.BODY_AND_HEADER || place.name().startsWith("HEADER");
      boolean query = place == TokenPlace.QUERY || place == TokenPlace.HEADER_AND_QUERY;
      return new Batch(
          kind,
          style,
          new Obj(fields),
          header ? headerToken : null,
          query ? queryToken : null,
          queryFormat);
    }
  }

  private static Arbitrary<Batch> batch(BodyKind kind, String mode, double attachProbability) {
    Arbitrary<Long> positive = Arbitraries.longs().between(1, Long.MAX_VALUE);
    return Builders.withBuilder(() -> new BatchDraft(kind, mode))
        .use(item(mode).list().ofMinSize(1).ofMaxSize(50))
        .in((d, v) -> set(d, () -> d.items = v))
        .use(positive)
        .in((d, v) -> set(d, () -> d.triggerId = v))
        .use(bodyToken())
        .in((d, v) -> set(d, () -> d.bodyToken = v))
        .use(httpToken())
        .in((d, v) -> set(d, () -> d.headerToken = v))
        .use(httpToken())
        .in((d, v) -> set(d, () -> d.queryToken = v))
        .use(
            Arbitraries.frequencyOf(
                List.of(
                    Tuple.of(6, Arbitraries.just(TokenPlace.BODY)),
                    Tuple.of(1, Arbitraries.of(TokenPlace.values())))))
        .in((d, v) -> set(d, () -> d.place = v))
        .use(Arbitraries.of(ResponseFormat.values()))
        .withProbability(0.3)
        .in((d, v) -> set(d, () -> d.queryFormat = v))
        .use(Arbitraries.of(true, false))
        .in((d, v) -> set(d, () -> d.explicitMatching = v))
        .use(text(1, 30))
        .in((d, v) -> set(d, () -> d.fieldName = v))
        .use(Arbitraries.of(true, false, false, false))
        .in((d, v) -> set(d, () -> d.fieldNameAnyway = v))
        .use(style(kind))
        .in((d, v) -> set(d, () -> d.style = v))
        .use(Arbitraries.longs())
        .in((d, v) -> set(d, () -> d.order = v))
        .use(object(0, 3))
        .withProbability(0.3)
        .in((d, v) -> d.extra("content", v))
        .use(object(0, 2))
        .withProbability(0.2)
        .in((d, v) -> d.extra("custom_data", v))
        .use(Arbitraries.of(true, false))
        .withProbability(0.3)
        .in((d, v) -> d.extra("skip_triggers", v))
        .use(positive)
        .withProbability(0.2)
        .in((d, v) -> d.extra("resource_id", v))
        .use(positive)
        .withProbability(0.2)
        .in((d, v) -> d.extra("db_id", v))
        .use(Arbitraries.of("json", "xml"))
        .withProbability(0.3)
        .in((d, v) -> d.extra("format", v))
        .use(object(0, 2))
        .withProbability(0.1)
        .in((d, v) -> d.extra("custom_request", v))
        .use(object(0, 2))
        .withProbability(0.1)
        .in((d, v) -> d.extra("subscription_filter", v))
        .use(file().list().ofMinSize(1).ofMaxSize(3))
        .withProbability(attachProbability)
        .in((d, v) -> d.extra("attach", new ArrayList<Object>(v)))
        .use(
            Combinators.combine(
                    xmlName().list().uniqueElements().ofMinSize(1).ofMaxSize(3),
                    unknownValue().list().ofSize(3))
                .as(Tuple::of))
        .withProbability(0.3)
        .in(
            (d, v) -> {
              // "x_" keeps them clear of the schema's names; SPEC §3 passes them through.
              for (int i = 0; i < v.get1().size(); i++) {
                d.extra("x_" + v.get1().get(i), v.get2().get(i));
              }
              return d;
            })
        .build(BatchDraft::build);
  }

  private static BatchDraft set(BatchDraft draft, Runnable assignment) {
    assignment.run();
    return draft;
  }

  private static Arbitrary<Style> style(BodyKind kind) {
    Arbitrary<Boolean> flag = Arbitraries.of(true, false);
    Arbitrary<String> root =
        kind == BodyKind.JSON
            ? Arbitraries.just("xml")
            : Arbitraries.of("xml", "xml", "request", "start_batch", "Запрос");
    return Combinators.combine(flag, flag, flag, flag, flag, root).as(Style::new);
  }

  /** An item with the keys its matching mode needs (SPEC §4), and sometimes more. */
  private static Arbitrary<Obj> item(String mode) {
    Arbitrary<List<Field>> keys =
        switch (mode) {
          case "email", "email_profile", "email_sub" ->
              email().map(e -> List.of(new Field("email", e)));
          case "phone", "phone_sub" -> phone().map(p -> List.of(new Field("phone", p)));
          case "profile_id" -> profileId().map(p -> List.of(new Field("profile_id", p)));
          case "push_sub" ->
              Combinators.combine(provider(), subscriptionId())
                  .as((p, s) -> List.of(new Field("provider", p), new Field("subscription_id", s)));
          case "custom", "custom_sub" ->
              fieldValue().map(v -> List.of(new Field("field_value", v)));
          case "email_phone", "email_phone_sub" ->
              Combinators.combine(email(), phone(), Arbitraries.integers().between(0, 2))
                  .as(
                      (e, p, which) ->
                          which == 0
                              ? List.of(new Field("email", e))
                              : which == 1
                                  ? List.of(new Field("phone", p))
                                  : List.of(new Field("email", e), new Field("phone", p)));
          default ->
              throw new IllegalStateException(
                  "the schema names matching mode \"" + mode + "\", which this test cannot make");
        };
    Arbitrary<Field> extra =
        Arbitraries.oneOf(
            List.of(
                object(1, 2).map(o -> new Field("custom_data", o)),
                text(0, 30).map(t -> new Field("name", t)),
                email().map(e -> new Field("email", e)),
                phone().map(p -> new Field("phone", p))));
    return Combinators.combine(keys, extra.list().ofMaxSize(2))
        .as(
            (needed, more) -> {
              Map<String, Object> fields = new LinkedHashMap<>();
              needed.forEach(f -> fields.put(f.key(), f.value()));
              // A key of another mode is allowed when its value is valid; one already set stays.
              more.forEach(f -> fields.putIfAbsent(f.key(), f.value()));
              return Obj.of(fields);
            });
  }

  private static final String PUNCTUATION = " -_.,!?'\"\\/<>&;:{}[]#%*()+=~`^|$@\t\n";
  private static final String FOREIGN = "éßñçøЖыйПр漢字アשع€™😀🚀🎉\u00a0\u2028";
  private static final String LOCAL_SPECIALS = ".!#$%&'*+/=?^_`{|}~-";

  private static List<String> codePoints(String text) {
    return text.codePoints().mapToObj(Character::toString).toList();
  }

  private static Arbitrary<String> joined(Arbitrary<String> piece, int min, int max) {
    return piece.list().ofMinSize(min).ofMaxSize(max).map(p -> String.join("", p));
  }

  private static Arbitrary<String> alnum() {
    return Arbitraries.strings().alpha().numeric().ofLength(1);
  }

  /** Text for names, tokens and content: ASCII, punctuation that needs escaping, and beyond. */
  private static Arbitrary<String> text(int min, int max) {
    return joined(
        Arbitraries.frequencyOf(
            List.of(
                Tuple.of(6, alnum()),
                Tuple.of(2, Arbitraries.of(codePoints(PUNCTUATION))),
                Tuple.of(2, Arbitraries.of(codePoints(FOREIGN))))),
        min,
        max);
  }

  private static Arbitrary<String> bodyToken() {
    return Arbitraries.oneOf(
        List.of(Arbitraries.strings().withChars("0123456789abcdef").ofLength(32), text(1, 40)));
  }

  /** A token from a header or the query: the edge trimmed it and refused an empty one. */
  private static Arbitrary<String> httpToken() {
    return Arbitraries.strings().alpha().numeric().withChars("-._~").ofMinLength(1).ofMaxLength(40);
  }

  /** One {@code @}, no whitespace on either side (the schema's {@code ^[^@\s]+@[^@\s]+$}). */
  private static Arbitrary<String> email() {
    Arbitrary<String> local =
        joined(
            Arbitraries.frequencyOf(
                List.of(
                    Tuple.of(6, alnum()),
                    Tuple.of(2, Arbitraries.of(codePoints(LOCAL_SPECIALS))),
                    Tuple.of(1, Arbitraries.of("ü", "ж", "漢", "😀")))),
            1,
            20);
    Arbitrary<String> label =
        joined(
            Arbitraries.frequencyOf(
                List.of(
                    Tuple.of(8, alnum()),
                    Tuple.of(1, Arbitraries.just("-")),
                    Tuple.of(1, Arbitraries.of("ñ", "я", "字")))),
            1,
            12);
    Arbitrary<String> domain =
        Combinators.combine(
                label.list().ofMinSize(1).ofMaxSize(3),
                Arbitraries.of("com", "ru", "org", "io", "рф", "travel"))
            .as((labels, tld) -> String.join(".", labels) + "." + tld);
    return Combinators.combine(local, domain).as((l, d) -> l + "@" + d);
  }

  /** An optional {@code +} and 5–20 digits, grouped by spaces, dashes, dots or parentheses. */
  private static Arbitrary<String> phone() {
    Arbitrary<List<String>> groups =
        Arbitraries.strings()
            .numeric()
            .ofMinLength(1)
            .ofMaxLength(4)
            .list()
            .ofMinSize(1)
            .ofMaxSize(7)
            .filter(
                g -> {
                  int digits = g.stream().mapToInt(String::length).sum();
                  return digits >= 5 && digits <= 20;
                });
    Arbitrary<Boolean> flag = Arbitraries.of(true, false);
    return Combinators.combine(groups, flag, Arbitraries.of(" ", "-", ".", ""), flag)
        .as(
            (g, plus, separator, parentheses) -> {
              StringBuilder phone = new StringBuilder(plus ? "+" : "");
              if (parentheses && g.size() >= 3) {
                // "+7 (900) 000-00-02"
                phone.append(g.get(0)).append(" (").append(g.get(1)).append(") ");
                phone.append(String.join(separator, g.subList(2, g.size())));
              } else {
                phone.append(String.join(separator, g));
              }
              return phone.toString();
            })
        .filter(p -> p.length() <= 40);
  }

  private static Arbitrary<String> profileId() {
    return Arbitraries.strings().withChars("0123456789abcdef").ofLength(24);
  }

  private static Arbitrary<String> provider() {
    return Arbitraries.oneOf(
        List.of(
            Arbitraries.of("android-firebase", "ios-apns", "huawei-hms", "web-push"), text(1, 20)));
  }

  private static Arbitrary<String> subscriptionId() {
    return Arbitraries.oneOf(
        List.of(
            Arbitraries.strings().alpha().numeric().withChars(":_-").ofMinLength(1).ofMaxLength(64),
            text(1, 30)));
  }

  /** A non-empty string or a number. */
  private static Arbitrary<Object> fieldValue() {
    return Arbitraries.oneOf(
        List.of(
            text(1, 20).map(v -> (Object) v),
            Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(12).map(v -> (Object) v),
            Arbitraries.longs().map(v -> (Object) v),
            Arbitraries.doubles().between(-1e9, 1e9).ofScale(3).map(v -> (Object) v)));
  }

  private static Arbitrary<Object> leaf() {
    return Arbitraries.oneOf(
        List.of(
            text(0, 20).map(v -> (Object) v),
            Arbitraries.longs().map(v -> (Object) v),
            Arbitraries.doubles().between(-1e6, 1e6).ofScale(4).map(v -> (Object) v),
            Arbitraries.of(true, false).map(v -> (Object) v)));
  }

  /** An object of text, numbers and booleans, nested up to {@code depth}. */
  private static Arbitrary<Obj> object(int minSize, int depth) {
    Arbitrary<Object> value =
        depth <= 1
            ? leaf()
            : Arbitraries.frequencyOf(
                List.of(
                    Tuple.of(4, leaf()), Tuple.of(1, object(1, depth - 1).map(o -> (Object) o))));
    // Unique names zipped with values: jqwik's maps() costs ten times as much per sample.
    return Combinators.combine(
            xmlName().list().uniqueElements().ofMinSize(minSize).ofMaxSize(4),
            value.list().ofSize(4))
        .as(
            (names, values) -> {
              List<Field> fields = new ArrayList<>();
              for (int i = 0; i < names.size(); i++) {
                fields.add(new Field(names.get(i), values.get(i)));
              }
              return new Obj(fields);
            });
  }

  /** A key that is also an XML element name, so one model serves both syntaxes. */
  private static Arbitrary<String> xmlName() {
    return Combinators.combine(
            Arbitraries.strings()
                .withCharRange('a', 'z')
                .withCharRange('A', 'Z')
                .withChars("_Жя")
                .ofLength(1),
            Arbitraries.strings().alpha().numeric().withChars("_-.").ofMaxLength(12))
        .as(String::concat)
        .filter(n -> !n.toLowerCase(Locale.ROOT).startsWith("xml"));
  }

  /** A value for a top-level field the schema does not name: forwarded untouched (SPEC §3). */
  private static Arbitrary<Object> unknownValue() {
    return Arbitraries.oneOf(
        List.of(leaf(), object(0, 2).map(o -> (Object) o), Arbitraries.just(JSON_NULL)));
  }

  private static final List<String> MIME_TYPES =
      List.of(
          "text/plain",
          "application/pdf",
          "image/png",
          "application/octet-stream",
          "application/vnd.openxmlformats-officedocument.wordprocessingml.document");

  /** A File: a non-empty name and a base64 data URI, sometimes with a key of its own. */
  private static Arbitrary<Obj> file() {
    return Combinators.combine(
            xmlName(),
            Arbitraries.of("txt", "pdf", "png", "docx"),
            Arbitraries.of(MIME_TYPES),
            Arbitraries.bytes().array(byte[].class).ofMaxSize(48),
            Arbitraries.of(true, false))
        .as(
            (name, extension, mime, payload, sized) -> {
              Map<String, Object> file = new LinkedHashMap<>();
              file.put("name", name + "." + extension);
              file.put(
                  "data",
                  "data:" + mime + ";base64," + Base64.getEncoder().encodeToString(payload));
              if (sized) {
                file.put("size", (long) payload.length);
              }
              return Obj.of(file);
            });
  }

  // ---------------------------------------------------------------------------------------------
  // Mutations

  enum EditKind {
    FLIP,
    TRUNCATE,
    INSERT,
    DELETE,
    COPY
  }

  /** One edit of the bytes; positions are fractions of the body's length so they shrink well. */
  record ByteEdit(EditKind kind, double at, double to, int length, byte[] insertion, int xor) {
    byte[] apply(byte[] body) {
      int pos = (int) (at * body.length);
      int end = Math.min(body.length, pos + length);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      switch (kind) {
        case FLIP -> {
          byte[] copy = body.clone();
          if (pos < copy.length) {
            copy[pos] ^= (byte) xor;
          }
          return copy;
        }
        case TRUNCATE -> {
          return Arrays.copyOf(body, pos);
        }
        case INSERT -> {
          out.write(body, 0, pos);
          out.writeBytes(insertion);
          out.write(body, pos, body.length - pos);
        }
        case DELETE -> {
          out.write(body, 0, pos);
          out.write(body, end, body.length - end);
        }
        case COPY -> {
          int into = (int) (to * body.length);
          out.write(body, 0, into);
          out.write(body, pos, end - pos);
          out.write(body, into, body.length - into);
        }
      }
      return out.toByteArray();
    }

    String describe(byte[] body) {
      int pos = (int) (at * body.length);
      return switch (kind) {
        case FLIP -> "flip byte " + pos + " with 0x" + Integer.toHexString(xor);
        case TRUNCATE -> "truncate at " + pos;
        case INSERT -> "insert " + show(insertion) + " at " + pos;
        case DELETE -> "delete " + length + " bytes at " + pos;
        case COPY -> "copy " + length + " bytes at " + pos + " to " + (int) (to * body.length);
      };
    }
  }

  @Provide
  Arbitrary<Case> byteMutations() {
    Arbitrary<byte[]> insertion =
        Arbitraries.oneOf(
            List.of(
                Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(8),
                Arbitraries.of(
                        "\"",
                        "{",
                        "}",
                        "[",
                        "]",
                        ",",
                        ":",
                        "\\",
                        "\\u",
                        "<",
                        ">",
                        "&",
                        "</",
                        "]]>",
                        "<!--",
                        "0",
                        "-",
                        "e",
                        "1e999999",
                        " ",
                        "null",
                        "\"trigger_id\":1,")
                    .map(s -> s.getBytes(StandardCharsets.UTF_8))));
    Arbitrary<ByteEdit> edit =
        Combinators.combine(
                Arbitraries.of(EditKind.values()),
                fractions(),
                fractions(),
                Arbitraries.integers().between(1, 16),
                insertion,
                Arbitraries.integers().between(1, 255))
            .as(ByteEdit::new);
    return Combinators.combine(anyBatches(), edit.list().ofMinSize(1).ofMaxSize(3))
        .as(
            (batch, edits) -> {
              byte[] bytes = batch.bytes();
              List<String> what = new ArrayList<>();
              for (ByteEdit e : edits) {
                what.add(e.describe(bytes));
                bytes = e.apply(bytes);
              }
              return new Case(String.join(", ", what), batch.kind(), bytes, batch.facts());
            });
  }

  enum TweakKind {
    REMOVE_FIELD,
    REPLACE_FIELD,
    DUPLICATE_FIELD,
    ADD_FIELD,
    REMOVE_ITEM_FIELD,
    REPLACE_ITEM_FIELD,
    DUPLICATE_ITEM_FIELD,
    REPLACE_ITEM,
    ADD_ITEM
  }

  /** Marks a duplicate that repeats the value it copies. */
  private static final Raw SAME = Raw.of("the same value", "", "");

  /** One change of the document's structure: a member or item removed, replaced or repeated. */
  record Tweak(TweakKind kind, int where, int which, Object odd) {
    Case apply(Batch batch) {
      Obj document = batch.document();
      List<Field> fields = new ArrayList<>(document.fields());
      int at = where % fields.size();
      String what;
      switch (kind) {
        case REMOVE_FIELD -> {
          what = "remove " + fields.get(at).key();
          fields.remove(at);
        }
        case REPLACE_FIELD -> {
          what = fields.get(at).key() + " := " + show(odd);
          fields.set(at, new Field(fields.get(at).key(), value(fields.get(at).value())));
        }
        case DUPLICATE_FIELD -> {
          Field copy = new Field(fields.get(at).key(), value(fields.get(at).value()));
          what = "repeat " + copy.key() + " with " + show(copy.value());
          fields.add(which % (fields.size() + 1), copy);
        }
        case ADD_FIELD -> {
          String key = SCHEMA_FIELDS.get(which % SCHEMA_FIELDS.size());
          what = "set " + key + " := " + show(odd);
          return batch.with(document.put(key, value(document.get(key)))).asCase(what);
        }
        default -> {
          return applyToItems(batch);
        }
      }
      return batch.with(new Obj(fields)).asCase(what);
    }

    private Case applyToItems(Batch batch) {
      List<Object> items = new ArrayList<>((List<?>) batch.document().get("data"));
      int index = where % items.size();
      Obj item = (Obj) items.get(index);
      List<Field> fields = new ArrayList<>(item.fields());
      int at = which % fields.size();
      String what;
      switch (kind) {
        case REMOVE_ITEM_FIELD -> {
          what = "remove data/" + index + "/" + fields.get(at).key();
          fields.remove(at);
          items.set(index, new Obj(fields));
        }
        case REPLACE_ITEM_FIELD -> {
          what = "data/" + index + "/" + fields.get(at).key() + " := " + show(odd);
          fields.set(at, new Field(fields.get(at).key(), value(fields.get(at).value())));
          items.set(index, new Obj(fields));
        }
        case DUPLICATE_ITEM_FIELD -> {
          Field copy = new Field(fields.get(at).key(), value(fields.get(at).value()));
          what = "repeat data/" + index + "/" + copy.key() + " with " + show(copy.value());
          fields.add(where % (fields.size() + 1), copy);
          items.set(index, new Obj(fields));
        }
        case REPLACE_ITEM -> {
          what = "data/" + index + " := " + show(odd);
          items.set(index, value(item));
        }
        default -> {
          what = "append to data " + show(odd);
          items.add(value(item));
        }
      }
      return batch.with(batch.document().put("data", items)).asCase(what);
    }

    private Object value(Object current) {
      return odd == SAME ? current : odd;
    }

    private static String show(Object value) {
      String text = String.valueOf(value);
      return text.length() <= 60
          ? text
          : text.substring(0, 20) + "…(" + text.length() + " characters)";
    }

    @Override
    public String toString() {
      return kind + " at " + where + "/" + which + " with " + show(odd);
    }
  }

  private static final String DEEP = "10,000 levels";

  /** Values of the wrong type, out of range, or hostile in size or depth. */
  private static List<Object> oddValues() {
    List<Object> odd = new ArrayList<>();
    odd.add(JSON_NULL);
    odd.addAll(
        List.of(
            "",
            "x",
            "8",
            "not an email",
            "a@b@c",
            "a b@c",
            "+1",
            "6606E08F10BCDD88297057A7",
            "data:text/plain;base64,",
            "x".repeat(10_000)));
    odd.addAll(List.of(0L, -1L, 8L, Long.MAX_VALUE, Long.MIN_VALUE, 1.5, 8.0, -0.0, true, false));
    odd.add(new Obj(List.of()));
    odd.add(Obj.of(Map.of("a", 1L)));
    odd.add(new ArrayList<>());
    odd.add(new ArrayList<>(List.of(1L, 2L)));
    odd.add(new ArrayList<>(List.of(Obj.of(Map.of("email", "a@b.c")))));
    for (String number :
        List.of(
            "1e999999",
            "-1e999999",
            "1e-999999",
            "123456789012345678901234567890",
            "9223372036854775808",
            "9223372036854775808e0",
            "1.0000000000000001",
            "1E2",
            "-0",
            "0.0")) {
      odd.add(Raw.same(number));
    }
    odd.add(Raw.of("[ × " + DEEP, "[".repeat(10_000), "<a>".repeat(10_000)));
    odd.add(
        Raw.of(
            "[…] × " + DEEP,
            "[".repeat(10_000) + "]".repeat(10_000),
            "<a>".repeat(10_000) + "</a>".repeat(10_000)));
    odd.add(
        Raw.of(
            "{\"a\":…} × " + DEEP,
            "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000),
            "<a>".repeat(10_000) + "1" + "</a>".repeat(10_000)));
    return odd;
  }

  @Provide
  Arbitrary<Case> structuralMutations() {
    List<Object> odd = new ArrayList<>(oddValues());
    odd.add(SAME);
    return Combinators.combine(anyBatches(), tweaks(Arbitraries.of(TweakKind.values()), odd))
        .as((batch, tweak) -> tweak.apply(batch));
  }

  @Provide
  Arbitrary<Tweak> duplications() {
    List<Object> values = new ArrayList<>(oddValues());
    values.add(SAME);
    values.add(SAME);
    values.add(2L);
    values.add("another");
    return tweaks(
        Arbitraries.of(TweakKind.DUPLICATE_FIELD, TweakKind.DUPLICATE_ITEM_FIELD), values);
  }

  private static Arbitrary<Tweak> tweaks(Arbitrary<TweakKind> kinds, List<Object> values) {
    Arbitrary<Integer> index = Arbitraries.integers().between(0, 1000);
    return Combinators.combine(kinds, index, index, Arbitraries.of(values)).as(Tweak::new);
  }

  /** Sequences that are not UTF-8 by RFC 3629. */
  private static final List<Seq> INVALID_UTF8 =
      List.of(
          Seq.bytes("overlong '/' C0 AF", 0xC0, 0xAF),
          Seq.bytes("overlong C1 BF", 0xC1, 0xBF),
          Seq.bytes("overlong E0 80 AF", 0xE0, 0x80, 0xAF),
          Seq.bytes("overlong F0 80 80 AF", 0xF0, 0x80, 0x80, 0xAF),
          Seq.bytes("encoded surrogate ED A0 80", 0xED, 0xA0, 0x80),
          Seq.bytes("encoded surrogate ED BF BF", 0xED, 0xBF, 0xBF),
          Seq.bytes("CESU-8 pair ED A0 BD ED B8 80", 0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80),
          Seq.bytes("above U+10FFFF F4 90 80 80", 0xF4, 0x90, 0x80, 0x80),
          Seq.bytes("F5 80 80 80", 0xF5, 0x80, 0x80, 0x80),
          Seq.bytes("five bytes F8 88 80 80 80", 0xF8, 0x88, 0x80, 0x80, 0x80),
          Seq.bytes("FE", 0xFE),
          Seq.bytes("FF", 0xFF),
          Seq.bytes("lone continuation 80", 0x80),
          Seq.bytes("lone continuation BF", 0xBF),
          Seq.bytes("truncated E2 82", 0xE2, 0x82),
          Seq.bytes("bad continuation E2 28 A1", 0xE2, 0x28, 0xA1));

  /** Escapes and control characters, in JSON and as XML character references. */
  private static final List<Seq> ESCAPES =
      List.of(
          Seq.text("\\u0000", "\\u0000", "&#0;"),
          Seq.text("\\ud800", "\\ud800", "&#xD800;"),
          Seq.text("\\udfff", "\\udfff", "&#xDFFF;"),
          Seq.text("\\ud800\\u0041", "\\ud800\\u0041", "&#xD800;A"),
          Seq.text("\\udc00\\ud800", "\\udc00\\ud800", "&#xDC00;&#xD800;"),
          Seq.text("pair \\ud83d\\ude00", "\\ud83d\\ude00", "&#x1F600;"),
          Seq.text("\\uFFFE", "\\uFFFE", "&#xFFFE;"),
          Seq.text("truncated \\u00", "\\u00", "&#x"),
          Seq.text("bad escape \\x41", "\\x41", "&#x110000;"),
          Seq.bytes("raw 00", 0x00),
          Seq.bytes("raw 01", 0x01),
          Seq.bytes("raw 1F", 0x1F),
          Seq.bytes("raw 7F", 0x7F));

  @Provide
  Arbitrary<Seq> invalidUtf8() {
    return Arbitraries.of(INVALID_UTF8);
  }

  /** Puts a sequence into the {@code target}-th string value of the document, unescaped. */
  record Splice(int target, double at, Seq seq) {
    Case apply(Batch batch) {
      int strings = countStrings(batch.document());
      int[] left = {target % strings};
      Object document =
          replaceString(
              batch.document(),
              left,
              s -> {
                int cut = s.offsetByCodePoints(0, (int) (at * s.codePointCount(0, s.length())));
                return new Spliced(
                    s.substring(0, cut),
                    batch.kind() == BodyKind.JSON ? seq.json() : seq.xml(),
                    s.substring(cut));
              });
      return batch.with((Obj) document).asCase(seq + " in string " + target % strings);
    }
  }

  private static int countStrings(Object node) {
    if (node instanceof String) {
      return 1;
    }
    int count = 0;
    if (node instanceof Obj object) {
      for (Field f : object.fields()) {
        count += countStrings(f.value());
      }
    } else if (node instanceof List<?> list) {
      for (Object element : list) {
        count += countStrings(element);
      }
    }
    return count;
  }

  private static Object replaceString(Object node, int[] left, Function<String, Object> change) {
    if (node instanceof String s) {
      return left[0]-- == 0 ? change.apply(s) : s;
    }
    if (node instanceof Obj object) {
      List<Field> fields = new ArrayList<>();
      for (Field f : object.fields()) {
        fields.add(new Field(f.key(), replaceString(f.value(), left, change)));
      }
      return new Obj(fields);
    }
    if (node instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      for (Object element : list) {
        out.add(replaceString(element, left, change));
      }
      return out;
    }
    return node;
  }

  private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

  @Provide
  Arbitrary<Case> encodingMutations() {
    List<Seq> sequences = new ArrayList<>(INVALID_UTF8);
    sequences.addAll(ESCAPES);
    Arbitrary<Case> spliced =
        Combinators.combine(
                anyBatches(),
                Arbitraries.integers().between(0, 10_000),
                fractions(),
                Arbitraries.of(sequences))
            .as((batch, target, at, seq) -> new Splice(target, at, seq).apply(batch));
    Arbitrary<Case> bom =
        anyBatches()
            .map(
                batch ->
                    new Case(
                        "a UTF-8 byte order mark first",
                        batch.kind(),
                        concat(BOM, batch.bytes()),
                        batch.facts()));
    return Arbitraries.frequencyOf(List.of(Tuple.of(5, spliced), Tuple.of(1, bom)));
  }

  @Provide
  Arbitrary<Case> oddBodies() {
    List<Case> fixed = new ArrayList<>();
    List<String> bodies =
        List.of(
            "",
            " ",
            "\n",
            "null",
            "[]",
            "{}",
            "\"x\"",
            "1",
            "true",
            "{",
            "}",
            "[".repeat(10_000),
            "{\"a\":".repeat(10_000),
            "<xml/>",
            "<xml></xml>",
            "<?xml version=\"1.0\"?>",
            "<",
            "<xml>",
            "<xml><data/></xml>",
            "<a>".repeat(10_000),
            "\u0000",
            "{\"trigger_id\":1,\"data\":[{\"email\":\"a@b.c\"}]}",
            "<xml><trigger_id>1</trigger_id><data><email>a@b.c</email></data></xml>");
    for (String body : bodies) {
      for (BodyKind kind : BodyKind.values()) {
        fixed.add(
            new Case(
                "a whole body",
                kind,
                body.getBytes(StandardCharsets.UTF_8),
                facts(kind, null, null, null)));
      }
    }
    for (BodyKind kind : BodyKind.values()) {
      fixed.add(new Case("a BOM alone", kind, BOM, facts(kind, null, null, null)));
    }
    Arbitrary<Case> otherSyntax =
        anyBatches()
            .map(
                b -> {
                  BodyKind other = b.kind() == BodyKind.JSON ? BodyKind.XML : BodyKind.JSON;
                  return new Case("sent as " + other, other, b.bytes(), b.facts());
                });
    Arbitrary<Case> twice =
        anyBatches().map(b -> new Case("twice", b.kind(), concat(b.bytes(), b.bytes()), b.facts()));
    return Arbitraries.oneOf(List.of(Arbitraries.of(fixed), otherSyntax, twice));
  }

  /** XML that tries to make the parser read a file, expand entities or include documents. */
  enum Hostile {
    INTERNAL_ENTITY("<!DOCTYPE r [<!ENTITY x \"expanded-entity\">]>", "&x;"),
    EXTERNAL_ENTITY("<!DOCTYPE r [<!ENTITY x SYSTEM \"" + SECRET.toUri() + "\">]>", "&x;"),
    PARAMETER_ENTITY("<!DOCTYPE r [<!ENTITY % p SYSTEM \"" + SECRET.toUri() + "\"> %p;]>", null),
    EXTERNAL_DTD("<!DOCTYPE r SYSTEM \"" + SECRET.toUri() + "\">", null),
    BILLION_LAUGHS(
        "<!DOCTYPE r [<!ENTITY a \"expanded-entity\">"
            + "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
            + "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
            + "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>",
        "&d;"),
    XINCLUDE(
        null,
        "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\""
            + SECRET.toUri()
            + "\" parse=\"text\"/>"),
    UNDECLARED_ENTITY(null, "&x;"),
    PROCESSING_INSTRUCTION(null, "<?evil data?>"),
    COMMENT(null, "<!-- &x; <data> -->"),
    CDATA(null, "<![CDATA[&x; <data>]]>"),
    CHARACTER_REFERENCES(null, "&amp;&lt;&#x41;&#65;");

    final String prolog;
    final String element;

    Hostile(String prolog, String element) {
      this.prolog = prolog;
      this.element = element;
    }

    Case apply(Batch batch, double at) {
      byte[] bytes = batch.bytes();
      int prologEnd = batch.style().prolog() ? XmlText.PROLOG.length() : 0;
      if (element != null) {
        // After a '>' past the prolog: between elements, or at the start of an element's text.
        List<Integer> boundaries = new ArrayList<>();
        for (int i = prologEnd; i < bytes.length; i++) {
          if (bytes[i] == '>') {
            boundaries.add(i + 1);
          }
        }
        int into = boundaries.get((int) (at * boundaries.size()));
        bytes = insert(bytes, into, element.getBytes(StandardCharsets.UTF_8));
      }
      if (prolog != null) {
        bytes = insert(bytes, prologEnd, prolog.getBytes(StandardCharsets.UTF_8));
      }
      return new Case(name(), BodyKind.XML, bytes, batch.facts());
    }
  }

  @Provide
  Arbitrary<Case> hostileXml() {
    return Combinators.combine(
            Arbitraries.of(BodyKind.XML).flatMap(kind -> batches(kind, 0.2)),
            Arbitraries.of(Hostile.values()),
            fractions())
        .as((batch, hostile, at) -> hostile.apply(batch, at));
  }

  @Provide
  Arbitrary<Raw> hugeIntegers() {
    BigInteger twoTo63 = BigInteger.ONE.shiftLeft(63);
    BigInteger twoTo64 = BigInteger.ONE.shiftLeft(64);
    Arbitrary<BigInteger> anyLength =
        Arbitraries.integers()
            .between(19, 40)
            .flatMap(
                digits ->
                    Arbitraries.bigIntegers()
                        .between(
                            twoTo63.max(BigInteger.TEN.pow(digits - 1)),
                            BigInteger.TEN.pow(digits).subtract(BigInteger.ONE)));
    // Just above Long.MAX_VALUE a double cannot tell the values apart: where a truncation hides.
    Arbitrary<BigInteger> nearTheEdge =
        Arbitraries.oneOf(
            List.of(
                Arbitraries.longs().between(0, 4096).map(k -> twoTo63.add(BigInteger.valueOf(k))),
                Arbitraries.longs()
                    .between(-4096, 4096)
                    .map(k -> twoTo64.add(BigInteger.valueOf(k)))));
    return Arbitraries.oneOf(List.of(anyLength, nearTheEdge))
        .flatMap(
            n -> {
              String digits = n.toString();
              // The same integer in every JSON spelling: a parser that reads some of them
              // through a double lands on a long that is not the one sent.
              String scientific =
                  digits.charAt(0) + "." + digits.substring(1) + "e" + (digits.length() - 1);
              return Arbitraries.of(
                  Raw.same(digits),
                  Raw.same(digits + "e0"),
                  Raw.same(digits + ".0"),
                  Raw.same(scientific));
            });
  }

  @Provide
  Arbitrary<String> integerFields() {
    return Arbitraries.of("trigger_id", "trigger_id", "resource_id", "db_id");
  }

  /** Ways to be over the plain cap with no file in the body (SPEC §6). */
  enum Oversize {
    AS_IS,
    EMPTY_ATTACH,
    NULL_ATTACH,
    ATTACH_IN_A_STRING,
    TRUNCATED;

    Case apply(Batch batch) {
      Obj document = batch.document();
      return switch (this) {
        case AS_IS -> batch.asCase("as it is");
        // An empty XML <attach/> would be one empty file, so XML says "attach" in a string.
        case EMPTY_ATTACH ->
            batch.kind() == BodyKind.JSON
                ? batch.with(document.put("attach", new ArrayList<>())).asCase("attach []")
                : ATTACH_IN_A_STRING.apply(batch);
        case NULL_ATTACH ->
            batch.kind() == BodyKind.JSON
                ? batch.with(document.put("attach", JSON_NULL)).asCase("attach null")
                : ATTACH_IN_A_STRING.apply(batch);
        case ATTACH_IN_A_STRING ->
            batch
                .with(document.put("x_note", "see the attach list"))
                .asCase("the word attach in a string");
        case TRUNCATED -> {
          byte[] bytes = batch.bytes();
          yield new Case(
              "without its last byte",
              batch.kind(),
              Arrays.copyOf(bytes, bytes.length - 1),
              batch.facts());
        }
      };
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static byte[] concat(byte[] first, byte[] second) {
    byte[] out = Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, out, first.length, second.length);
    return out;
  }

  private static byte[] insert(byte[] into, int at, byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(into.length + bytes.length);
    out.write(into, 0, at);
    out.writeBytes(bytes);
    out.write(into, at, into.length - at);
    return out.toByteArray();
  }

  private static Path secretFile() {
    try {
      Path file = Files.createTempFile("batch-fuzz-secret", ".txt");
      Files.writeString(file, SECRET_TEXT);
      file.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
