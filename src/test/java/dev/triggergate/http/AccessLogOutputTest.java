package dev.triggergate.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The access log's buffers and writer thread, against a real file and a real pipe. */
class AccessLogOutputTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @Test
  void linesFromManyThreadsAllArriveEachThreadsInOrder(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("access.log");
    int threads = 4;
    int perThread = 20_000;
    AccessLogOutput output = new AccessLogOutput(append(file), 16L << 20, 1, 50, registry);
    CountDownLatch start = new CountDownLatch(1);
    List<CompletableFuture<Void>> writers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      writers.add(
          CompletableFuture.runAsync(
              () -> {
                await(start);
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < perThread; i++) {
                  line.setLength(0);
                  // Non-ASCII text: each line must be whole UTF-8, never split across writes.
                  line.append("{\"thread\":").append(thread).append(",\"n\":").append(i);
                  line.append(",\"text\":\"Ünïcødé ✓\"}");
                  output.append(line);
                }
              },
              runnable -> new Thread(runnable).start()));
    }
    start.countDown();
    CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    output.flush().get(10, TimeUnit.SECONDS);

    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    assertThat(lines).hasSize(threads * perThread);
    int[] next = new int[threads];
    for (String line : lines) {
      int thread = Integer.parseInt(line.substring(10, line.indexOf(',')));
      assertThat(line)
          .isEqualTo(
              "{\"thread\":" + thread + ",\"n\":" + next[thread] + ",\"text\":\"Ünïcødé ✓\"}");
      next[thread]++;
    }
    assertThat(registry.counter("gateway_access_log_lines").count()).isEqualTo(threads * perThread);
    assertThat(dropped("buffers_full") + dropped("write_failed")).isZero();
    output.close();
  }

  @Test
  void aLineReachesTheOutputWithinTheFlushIntervalWithoutAFlush() throws Exception {
    Pipe pipe = Pipe.open();
    AccessLogOutput output = new AccessLogOutput(pipe.sink(), 1L << 20, 1, 20, registry);
    BufferedReader reader = reader(pipe);
    output.append(new StringBuilder("{\"only\":true}"));
    // Nothing asks for a flush: the writer's own sweep must send the half-empty buffer.
    String line = CompletableFuture.supplyAsync(() -> readLine(reader)).get(10, TimeUnit.SECONDS);
    assertThat(line).isEqualTo("{\"only\":true}");
    output.close();
  }

  /**
   * An output that stops reading (a stuck terminal, a full pipe) must never stall the thread that
   * logs: lines beyond the buffers are dropped, each one counted, and the log says so. Every line
   * is then either read from the output or counted as dropped.
   */
  @Test
  @Timeout(60)
  void aStalledOutputDropsLinesCountsEachAndSaysSo() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger(AccessLogOutput.class);
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    logger.addAppender(events);
    Pipe pipe = Pipe.open();
    // The smallest pool: two 64 KiB buffers, and a pipe nobody reads yet.
    AccessLogOutput output = new AccessLogOutput(pipe.sink(), 128 * 1024, 1, 20, registry);
    int appended = 50_000;
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < appended; i++) {
      line.setLength(0);
      line.append("{\"n\":").append(i).append(",\"pad\":\"").append("x".repeat(64)).append("\"}");
      // Returns at once however stuck the output is; a block here would hang the test.
      output.append(line);
    }
    double droppedWhileStalled = dropped("buffers_full");
    assertThat(droppedWhileStalled).isPositive();

    BufferedReader reader = reader(pipe);
    CompletableFuture<Long> read =
        CompletableFuture.supplyAsync(
            () -> {
              long count = 0;
              while (readLine(reader) != null) {
                count++;
              }
              return count;
            });
    output.close();
    long readLines = read.get(30, TimeUnit.SECONDS);
    logger.detachAppender(events);

    assertThat(readLines + (long) dropped("buffers_full")).isEqualTo(appended);
    assertThat(registry.counter("gateway_access_log_lines").count()).isEqualTo(readLines);
    assertThat(events.list)
        .extracting(ILoggingEvent::getFormattedMessage)
        .anyMatch(
            message ->
                message.startsWith((long) dropped("buffers_full") + " access log lines were not"));
  }

  @Test
  void aFailingOutputCountsItsLinesAsDropped() throws Exception {
    Pipe pipe = Pipe.open();
    pipe.source().close();
    AccessLogOutput output = new AccessLogOutput(pipe.sink(), 1L << 20, 1, 20, registry);
    for (int i = 0; i < 10; i++) {
      output.append(new StringBuilder("{\"n\":" + i + "}"));
    }
    output.flush().get(10, TimeUnit.SECONDS);
    assertThat(dropped("write_failed")).isEqualTo(10);
    assertThat(registry.counter("gateway_access_log_lines").count()).isZero();
    output.close();
  }

  @Test
  void closeWritesWhatIsBufferedAndLaterLinesAreCountedNotLost(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("access.log");
    AccessLogOutput output = new AccessLogOutput(append(file), 1L << 20, 1, 10_000, registry);
    for (int i = 0; i < 3; i++) {
      output.append(new StringBuilder("{\"n\":" + i + "}"));
    }
    // The flush interval is long: only close can have written these.
    output.close();
    output.append(new StringBuilder("{\"late\":true}"));
    assertThat(Files.readAllLines(file)).containsExactly("{\"n\":0}", "{\"n\":1}", "{\"n\":2}");
    assertThat(dropped("closed")).isEqualTo(1);
    assertThat(output.flush()).succeedsWithin(1, TimeUnit.SECONDS);
  }

  /** A drained server says it is shut down just before its last requests' end handlers run. */
  @Test
  void closeWaitsForALineAnnouncedBeforeIt(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("access.log");
    AccessLogOutput output = new AccessLogOutput(append(file), 1L << 20, 1, 10_000, registry);
    output.lineToCome();
    CompletableFuture<Void> closed = CompletableFuture.runAsync(output::close);
    assertThat(closed).isNotDone();
    output.append(new StringBuilder("{\"last\":true}"));
    output.lineCame();
    closed.get(10, TimeUnit.SECONDS);
    assertThat(Files.readAllLines(file)).containsExactly("{\"last\":true}");
    assertThat(dropped("closed")).isZero();
  }

  /** An output failing in a way nobody declared costs the lines of that write, not the writer. */
  @Test
  void anUncheckedFailureOfTheOutputCostsOneWriteAndTheLogGoesOn(@TempDir Path dir)
      throws Exception {
    FileChannel file = append(dir.resolve("access.log"));
    AtomicBoolean failNext = new AtomicBoolean(true);
    WritableByteChannel flaky =
        new WritableByteChannel() {
          @Override
          public int write(ByteBuffer source) throws IOException {
            if (failNext.getAndSet(false)) {
              throw new IllegalStateException("broken once");
            }
            return file.write(source);
          }

          @Override
          public boolean isOpen() {
            return file.isOpen();
          }

          @Override
          public void close() throws IOException {
            file.close();
          }
        };
    AccessLogOutput output = new AccessLogOutput(flaky, 1L << 20, 1, 10_000, registry);
    output.append(new StringBuilder("{\"lost\":true}"));
    output.flush().get(10, TimeUnit.SECONDS);
    output.append(new StringBuilder("{\"kept\":true}"));
    output.flush().get(10, TimeUnit.SECONDS);
    assertThat(Files.readAllLines(dir.resolve("access.log"))).containsExactly("{\"kept\":true}");
    assertThat(dropped("write_failed")).isEqualTo(1);
    output.close();
  }

  /** The sweep runs on its deadline: another thread's steady hand-offs must not postpone it. */
  @Test
  @Timeout(60)
  void aQuietThreadsLineIsWrittenWhileABusyThreadKeepsTheWriterBusy() throws Exception {
    Pipe pipe = Pipe.open();
    AccessLogOutput output = new AccessLogOutput(pipe.sink(), 8L << 20, 2, 50, registry);
    BufferedReader reader = reader(pipe);
    CompletableFuture<Void> quietSeen =
        CompletableFuture.runAsync(
            () -> {
              String line;
              while ((line = readLine(reader)) != null && !line.equals("{\"quiet\":true}")) {
                // Lines of the busy thread.
              }
            },
            runnable -> new Thread(runnable).start());
    // The quiet line first: it sits in its thread's own buffer, which the busy thread cannot take
    // (the busy thread may outrun the pipe and have lines dropped; the quiet one cannot be).
    CompletableFuture.runAsync(
            () -> output.append(new StringBuilder("{\"quiet\":true}")),
            runnable -> new Thread(runnable).start())
        .get(10, TimeUnit.SECONDS);
    CompletableFuture<Void> busy =
        CompletableFuture.runAsync(
            () -> {
              StringBuilder line = new StringBuilder("{\"busy\":\"" + "x".repeat(1000) + "\"}");
              while (!quietSeen.isDone()) {
                output.append(line);
              }
            },
            runnable -> new Thread(runnable).start());
    // No flush is asked for: only the writer's own sweep can send the quiet thread's buffer.
    quietSeen.get(30, TimeUnit.SECONDS);
    busy.get(10, TimeUnit.SECONDS);
    output.close();
  }

  /** With the smallest pool, every logging thread still finds buffers: nothing is dropped. */
  @Test
  void moreLoggingThreadsThanTheSmallestPoolStillDropNothing(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("access.log");
    int threads = 8;
    AccessLogOutput output = new AccessLogOutput(append(file), 128 * 1024, threads, 20, registry);
    List<CompletableFuture<Void>> writers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      writers.add(
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < 500; i++) {
                  output.append(new StringBuilder("{\"n\":" + i + "}"));
                }
              },
              runnable -> new Thread(runnable).start()));
    }
    CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    output.flush().get(10, TimeUnit.SECONDS);
    assertThat(Files.readAllLines(file)).hasSize(threads * 500);
    assertThat(dropped("buffers_full")).isZero();
    output.close();
  }

  /** Lines appended while the log closes are written or counted: none simply vanish. */
  @Test
  void linesAppendedWhileClosingAreWrittenOrCounted(@TempDir Path dir) throws Exception {
    for (int round = 0; round < 20; round++) {
      Path file = dir.resolve("access-" + round + ".log");
      SimpleMeterRegistry counts = new SimpleMeterRegistry();
      AccessLogOutput output = new AccessLogOutput(append(file), 1L << 20, 4, 10, counts);
      AtomicLong appended = new AtomicLong();
      CountDownLatch running = new CountDownLatch(4);
      List<CompletableFuture<Void>> writers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        writers.add(
            CompletableFuture.runAsync(
                () -> {
                  StringBuilder line = new StringBuilder("{\"pad\":\"" + "y".repeat(2000) + "\"}");
                  running.countDown();
                  for (int i = 0; i < 2_000; i++) {
                    output.append(line);
                    appended.incrementAndGet();
                  }
                },
                runnable -> new Thread(runnable).start()));
      }
      running.await();
      output.close();
      CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      double dropped =
          counts.find("gateway_access_log_dropped_lines").counters().stream()
              .mapToDouble(c -> c.count())
              .sum();
      assertThat(Files.readAllLines(file).size() + (long) dropped)
          .as("round %d", round)
          .isEqualTo(appended.get());
    }
  }

  /** The process may still print after the log closes: standard output stays open. */
  @Test
  void closingTheStandardOutputChannelLeavesStandardOutputOpen() throws Exception {
    WritableByteChannel out = AccessLogOutput.standardOutput();
    out.close();
    assertThat(out.write(ByteBuffer.allocate(0))).isZero();
    assertThat(FileDescriptor.out.valid()).isTrue();
  }

  private double dropped(String reason) {
    return registry.counter("gateway_access_log_dropped_lines", "reason", reason).count();
  }

  private static FileChannel append(Path file) throws IOException {
    return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  private static BufferedReader reader(Pipe pipe) {
    return new BufferedReader(
        new InputStreamReader(Channels.newInputStream(pipe.source()), StandardCharsets.UTF_8));
  }

  private static String readLine(BufferedReader reader) {
    try {
      return reader.readLine();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
