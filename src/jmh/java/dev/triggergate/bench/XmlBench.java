package dev.triggergate.bench;

import dev.triggergate.intake.XmlBody;
import dev.triggergate.validation.BatchSchema;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Measures decoding a batch from XML against decoding the same batch from JSON. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
    value = 2,
    jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class XmlBench {
  @Param({"1000"})
  int items;

  private XmlBody xml;
  private Buffer xmlBody;
  private Buffer jsonBody;

  @Setup
  public void setUp() {
    xml = new XmlBody(BatchSchema.load().document());
    xmlBody = Batches.xml(items);
    jsonBody = Batches.json(items);
    // Both forms must decode to the same batch, or the comparison is not like for like.
    if (!xml.decode(xmlBody).equals(new JsonObject(jsonBody))) {
      throw new IllegalStateException("the XML and JSON benchmark bodies differ");
    }
  }

  /** The baseline: the same batch decoded from JSON. */
  @Benchmark
  public JsonObject decodeJson() {
    return new JsonObject(jsonBody);
  }

  @Benchmark
  public JsonObject decodeXml() {
    return xml.decode(xmlBody);
  }
}
