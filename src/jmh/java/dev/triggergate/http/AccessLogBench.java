package dev.triggergate.http;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What one access line costs the thread that logs it, from two threads at once as two event loops
 * log: {@code append} hands a formatted line to {@link AccessLogOutput} (writing to /dev/null, so
 * the output is never the limit); {@code jsonObjectLine} is, for scale, what building the same line
 * as a JsonObject and encoding it took before (without Logback's queue and write after it).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
    value = 2,
    jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
public class AccessLogBench {
  /** A line as the gateway writes it for a 10-item launch. */
  static final String LINE =
      "{\"time\":\"2026-12-02T02:50:11.123Z\",\"request_id\":\"5f0c2a7d9e314b6c8a1d2e3f4a5b6c7d\","
          + "\"method\":\"POST\",\"path\":\"/api/v1.1/campaigns/triggers/start_batch\","
          + "\"status\":200,\"error\":0,\"latency_ms\":0.412,\"bytes_in\":412,\"bytes_out\":377,"
          + "\"client\":\"127.0.0.1\",\"trigger_id\":8,\"items\":10,\"token_hash\":\"1a2b3c4d\"}";

  @State(Scope.Benchmark)
  public static class Output {
    AccessLogOutput output;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Setup(Level.Trial)
    public void open() throws IOException {
      output =
          new AccessLogOutput(
              FileChannel.open(Path.of("/dev/null"), StandardOpenOption.WRITE),
              8L << 20,
              Runtime.getRuntime().availableProcessors(),
              100,
              registry);
    }

    @TearDown(Level.Trial)
    public void close() {
      output.close();
      // A line dropped for want of a buffer costs less than one written: say if any were.
      double dropped =
          registry.find("gateway_access_log_dropped_lines").counters().stream()
              .mapToDouble(c -> c.count())
              .sum();
      System.out.printf("%nlines dropped: %.0f%n", dropped);
    }
  }

  @State(Scope.Thread)
  public static class Line {
    final StringBuilder text = new StringBuilder(LINE);
  }

  /** About half a microsecond: a rate of lines the writer keeps up with. */
  static final long WORK_TOKENS = 256;

  @Benchmark
  public void paced() {
    Blackhole.consumeCPU(WORK_TOKENS);
  }

  @Benchmark
  public void appendPaced(Output output, Line line) {
    Blackhole.consumeCPU(WORK_TOKENS);
    output.output.append(line.text);
  }

  @Benchmark
  public String jsonObjectLine() {
    return new JsonObject()
        .put("request_id", "5f0c2a7d9e314b6c8a1d2e3f4a5b6c7d")
        .put("method", "POST")
        .put("path", "/api/v1.1/campaigns/triggers/start_batch")
        .put("status", 200)
        .put("error", 0)
        .put("latency_ms", 0.412)
        .put("bytes_in", 412L)
        .put("bytes_out", 377L)
        .put("client", "127.0.0.1")
        .put("trigger_id", 8)
        .put("items", 10)
        .put("token_hash", "1a2b3c4d")
        .encode();
  }
}
