package dev.triggergate.bench;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.OutputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.regex.JoniRegularExpressionFactory;
import dev.triggergate.engine.StartBatch;
import dev.triggergate.intake.BatchReader;
import dev.triggergate.intake.BodyKind;
import dev.triggergate.intake.RequestFacts;
import dev.triggergate.validation.BatchSchema;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Measures the schema check against JSON decoding alone, the baseline it must stay close to. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
    value = 2,
    jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class ValidationBench {
  private static final RequestFacts FACTS =
      new RequestFacts("bench", null, null, null, "application/json", null);

  @Param({"10", "1000", "200000"})
  int items;

  private BatchSchema schema;
  private BatchReader reader;
  private Buffer body;
  private JsonObject decoded;

  /** networknt json-schema-validator, a standard validator, for comparison (issue 11). */
  private Schema networknt;

  private ObjectMapper mapper;
  private byte[] bytes;
  private JsonNode parsed;

  @Setup
  public void setUp() {
    schema = BatchSchema.load();
    reader = new BatchReader(schema, Long.MAX_VALUE, Long.MAX_VALUE, 0);
    body = Batches.json(items);
    decoded = new JsonObject(body);
    // A benchmark of a body the check refuses would measure the error path instead.
    if (!schema.isValid(decoded) || !schema.isValidByReference(decoded)) {
      throw new IllegalStateException("the benchmark body does not match the schema");
    }
    networknt = loadNetworknt();
    mapper = JsonMapper.builder().build();
    bytes = body.getBytes();
    parsed = mapper.readTree(bytes);
    List<Error> errors = networknt.validate(parsed);
    if (!errors.isEmpty() || !networknt.validate(parsed, OutputFormat.BOOLEAN)) {
      throw new IllegalStateException("networknt refuses the benchmark body: " + errors);
    }
    // A validator that accepts everything would be fast for nothing: an item without "email"
    // under "matching": "email" must be refused.
    ObjectNode broken = (ObjectNode) parsed.deepCopy();
    ((ObjectNode) broken.get("data").get(0)).remove("email");
    ((ObjectNode) broken.get("data").get(0)).put("phone", "+1 555 0100");
    if (networknt.validate(broken).isEmpty() || networknt.validate(broken, OutputFormat.BOOLEAN)) {
      throw new IllegalStateException("networknt accepts an item without \"email\"");
    }
  }

  /** The start_batch schema file, as draft 2020-12 with ECMA-262 patterns (joni). */
  private static Schema loadNetworknt() {
    SchemaRegistry registry =
        SchemaRegistry.withDefaultDialect(
            SpecificationVersion.DRAFT_2020_12,
            builder ->
                builder.schemaRegistryConfig(
                    SchemaRegistryConfig.builder()
                        .regularExpressionFactory(JoniRegularExpressionFactory.getInstance())
                        .build()));
    try (InputStream in = BatchSchema.class.getResourceAsStream(BatchSchema.RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(BatchSchema.RESOURCE + " is missing from the class path");
      }
      Schema schema = registry.getSchema(in, InputFormat.JSON);
      schema.initializeValidators();
      return schema;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The baseline: Vert.x's JSON decoding alone. */
  @Benchmark
  public JsonObject decode() {
    return new JsonObject(body);
  }

  @Benchmark
  public boolean validateFast() {
    return schema.isValid(decoded);
  }

  @Benchmark
  public boolean validateReference() {
    return schema.isValidByReference(decoded);
  }

  /** What the target is about: decode plus the fast check, held to 1.5× {@link #decode}. */
  @Benchmark
  public boolean decodeAndValidate() {
    return schema.isValid(new JsonObject(body));
  }

  /**
   * {@link #decodeAndValidate} with neither half inlined into the other, as in the gateway: a
   * control, since the combined score came out above decode plus validateFast.
   */
  @Benchmark
  public boolean decodeThenValidate() {
    return validate(decodeOnly());
  }

  @CompilerControl(CompilerControl.Mode.DONT_INLINE)
  private JsonObject decodeOnly() {
    return new JsonObject(body);
  }

  @CompilerControl(CompilerControl.Mode.DONT_INLINE)
  private boolean validate(JsonObject document) {
    return schema.isValid(document);
  }

  /** The whole intake step: decode, token, schema, item cap, and the {@link StartBatch}. */
  @Benchmark
  public StartBatch readBatch() {
    return reader.read(body, BodyKind.JSON, FACTS);
  }

  /** networknt's verdict on a body Jackson has already parsed: the counterpart of validateFast. */
  @Benchmark
  public boolean validateNetworknt() {
    return networknt.validate(parsed, OutputFormat.BOOLEAN);
  }

  /**
   * Jackson parsing the body bytes, then networknt's verdict: the counterpart of {@link
   * #decodeThenValidate} and {@link #readBatch}.
   */
  @Benchmark
  public boolean readNetworknt() {
    return networknt.validate(mapper.readTree(bytes), OutputFormat.BOOLEAN);
  }
}
