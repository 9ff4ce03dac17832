package dev.triggergate.bench;

import dev.triggergate.engine.StartBatch;
import dev.triggergate.intake.BatchReader;
import dev.triggergate.intake.BodyKind;
import dev.triggergate.intake.RequestFacts;
import dev.triggergate.validation.BatchSchema;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
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
}
