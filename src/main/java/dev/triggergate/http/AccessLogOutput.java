package dev.triggergate.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where access lines go: each thread that logs fills a buffer of its own, one thread writes the
 * filled buffers to the output in large writes. A line costs a copy into a buffer and an
 * uncontended lock, never a system call, an allocation or a wait on the output.
 *
 * <p>The buffers come from a fixed pool ({@code bufferBytes} in all). When the output is slower
 * than the traffic and every buffer waits to be written, new lines are dropped rather than block an
 * event loop, and each dropped line is counted ({@code gateway_access_log_dropped_lines_total}) and
 * reported in the application log, so that "every request is logged" is true or measurably false.
 * Lines reach the output within {@code flushIntervalMs} of being logged; {@link #flush} and {@link
 * #close} write everything logged before them.
 */
public final class AccessLogOutput implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AccessLogOutput.class);

  /** One buffer: large writes, and still a small share of the pool. */
  static final int BUFFER_BYTES = 64 * 1024;

  /**
   * How long {@link #close} waits for the lines of requests still ending: a drained server reports
   * itself shut down just before the last end handlers run.
   */
  private static final long ENDING_LINES_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** Dropped lines are reported at most this often, with their count since the last report. */
  private static final long DROP_REPORT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

  /**
   * How long {@link #close} waits for the writer: less than the drain's own margin, so a stalled
   * output cannot hold the exit.
   */
  private static final long CLOSE_WAIT_MS = 3_000;

  private final WritableByteChannel out;
  private final long flushIntervalNanos;
  private final int maxBuffers;
  private final AtomicInteger buffers = new AtomicInteger();
  private final ArrayBlockingQueue<ByteBuffer> free;

  /** Filled buffers, flush requests and the close request, in the order they were made. */
  private final LinkedBlockingQueue<Object> jobs = new LinkedBlockingQueue<>();

  private final List<Slot> slots = new CopyOnWriteArrayList<>();
  private final ThreadLocal<Slot> slot = ThreadLocal.withInitial(this::newSlot);
  private final Counter written;
  private final Counter droppedFull;
  private final Counter droppedFailed;
  private final Counter droppedTooLong;
  private final Counter droppedClosed;
  private final AtomicLong droppedSinceReport = new AtomicLong();
  private final LongAdder linesToCome = new LongAdder();
  private final Thread writer;
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private volatile boolean closing;
  private long lastReport = System.nanoTime();
  private boolean writeFailureReported;

  /**
   * @param out where lines go, in large writes from one thread; closed by {@link #close}
   * @param bufferBytes the most bytes of lines held at once
   * @param threads how many threads log (the event loops): each holds a buffer while it fills one,
   *     so the pool has at least two per thread, whatever {@code bufferBytes} says
   * @param flushIntervalMs how long a line may wait in a buffer that is not full
   */
  public AccessLogOutput(
      WritableByteChannel out,
      long bufferBytes,
      int threads,
      long flushIntervalMs,
      MeterRegistry registry) {
    this.out = out;
    this.flushIntervalNanos = TimeUnit.MILLISECONDS.toNanos(flushIntervalMs);
    this.maxBuffers =
        (int) Math.max(2L * threads + 2, Math.min(1 << 20, bufferBytes / BUFFER_BYTES));
    this.free = new ArrayBlockingQueue<>(maxBuffers);
    this.written =
        Counter.builder("gateway_access_log_lines")
            .description("Access log lines written to the output")
            .register(registry);
    this.droppedFull = dropped(registry, "buffers_full");
    this.droppedFailed = dropped(registry, "write_failed");
    this.droppedTooLong = dropped(registry, "too_long");
    this.droppedClosed = dropped(registry, "closed");
    this.writer = new Thread(this::writeLoop, "trigger-gateway-access-log");
    writer.setDaemon(true);
    writer.start();
  }

  private static Counter dropped(MeterRegistry registry, String reason) {
    return Counter.builder("gateway_access_log_dropped_lines")
        .description(
            "Access log lines not written: every buffer waiting on a slow output, or a failed write")
        .tag("reason", reason)
        .register(registry);
  }

  /**
   * Appends one line (a newline is added). Never blocks on the output: a line that finds no room is
   * dropped and counted.
   */
  public void append(StringBuilder line) {
    Slot mine = slot.get();
    synchronized (mine) {
      mine.append(line);
    }
  }

  /** A request began whose line is to come: {@link #close} waits a little for it. */
  public void lineToCome() {
    linesToCome.increment();
  }

  /** The line announced by {@link #lineToCome} was appended, or will never be. */
  public void lineCame() {
    linesToCome.decrement();
  }

  /** Completes once every line appended before this call is written (or counted as dropped). */
  public CompletableFuture<Void> flush() {
    if (closing) {
      return closed;
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    jobs.add(new Flush(done, false));
    return done;
  }

  /**
   * Waits briefly for the lines still to come, writes what is buffered, then closes the output.
   * Lines appended afterwards are dropped and counted. Blocks: never call it on an event loop.
   */
  @Override
  public void close() {
    long deadline = System.nanoTime() + ENDING_LINES_WAIT_NANOS;
    while (linesToCome.sum() > 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
    closing = true;
    jobs.add(new Close(false));
    try {
      closed.get(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.warn(
          "the access log did not finish writing within {} ms (a stalled output?): the lines still"
              + " buffered are lost",
          CLOSE_WAIT_MS);
    }
  }

  /** Standard output, left open when the log closes: the process may still print to it. */
  public static WritableByteChannel standardOutput() {
    FileChannel channel = new FileOutputStream(FileDescriptor.out).getChannel();
    return new WritableByteChannel() {
      @Override
      public int write(ByteBuffer source) throws IOException {
        return channel.write(source);
      }

      @Override
      public boolean isOpen() {
        return true;
      }

      @Override
      public void close() {}
    };
  }

  private Slot newSlot() {
    Slot created = new Slot();
    slots.add(created);
    return created;
  }

  /** A buffer from the pool, a new one while the pool has room, or null when all are in use. */
  private ByteBuffer takeBuffer() {
    ByteBuffer buffer = free.poll();
    if (buffer != null) {
      return buffer;
    }
    while (true) {
      int count = buffers.get();
      if (count >= maxBuffers) {
        return null;
      }
      if (buffers.compareAndSet(count, count + 1)) {
        return ByteBuffer.allocate(BUFFER_BYTES);
      }
    }
  }

  private void lineDropped(Counter reason) {
    reason.increment();
    droppedSinceReport.incrementAndGet();
  }

  /** One logging thread's buffer, with what it needs to encode a line without allocating. */
  private final class Slot {
    private ByteBuffer buffer;
    private int lines;
    private final CharsetEncoder encoder =
        StandardCharsets.UTF_8
            .newEncoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private char[] chars = new char[512];
    private CharBuffer view = CharBuffer.wrap(chars);

    void append(StringBuilder line) {
      int length = line.length() + 1;
      if (closing) {
        lineDropped(droppedClosed);
        return;
      }
      if (length * 3L > BUFFER_BYTES) {
        // AccessLog cuts every client text well below this; a line this long is counted all the
        // same, never split across buffers.
        lineDropped(droppedTooLong);
        return;
      }
      if (length > chars.length) {
        chars = new char[Math.max(length, chars.length * 2)];
        view = CharBuffer.wrap(chars);
      }
      line.getChars(0, line.length(), chars, 0);
      chars[length - 1] = '\n';
      // UTF-8 takes at most three bytes per char; a buffer with less room goes to be written.
      if (buffer != null && buffer.remaining() < length * 3) {
        handOff();
      }
      if (buffer == null && (buffer = takeBuffer()) == null) {
        lineDropped(droppedFull);
        return;
      }
      view.clear().limit(length);
      encoder.reset();
      encoder.encode(view, buffer, true);
      encoder.flush(buffer);
      lines++;
    }

    /** Sends this slot's buffer to be written; the next line takes a new one. */
    void handOff() {
      if (buffer != null && buffer.position() > 0) {
        jobs.add(new Filled(buffer, lines));
        buffer = null;
        lines = 0;
      }
    }
  }

  /** Lines to write, in the order their thread handed them off. */
  private record Filled(ByteBuffer buffer, int lines) {}

  /**
   * A flush: first every slot's buffer is handed off behind what is queued ({@code swept} false),
   * then, once the writer reaches the second pass, everything appended before it is written.
   */
  private record Flush(CompletableFuture<Void> done, boolean swept) {}

  /** The close, in the same two passes as a flush; what comes after it is counted as dropped. */
  private record Close(boolean swept) {}

  private void writeLoop() {
    long nextSweep = System.nanoTime() + flushIntervalNanos;
    while (true) {
      Object job;
      try {
        long now = System.nanoTime();
        // On a deadline, not only when the queue is quiet: a busy thread's hand-offs must not
        // keep a quiet thread's lines waiting.
        if (now - nextSweep >= 0) {
          sweep();
          nextSweep = now + flushIntervalNanos;
        }
        job = jobs.poll(nextSweep - now, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        closeOutput();
        return;
      }
      if (job instanceof Filled filled) {
        write(filled);
      } else if (job instanceof Flush flush) {
        if (flush.swept()) {
          flush.done().complete(null);
        } else {
          sweep();
          jobs.add(new Flush(flush.done(), true));
        }
      } else if (job instanceof Close close) {
        if (close.swept()) {
          closeOutput();
          return;
        }
        sweep();
        jobs.add(new Close(true));
      }
      reportDrops(false);
    }
  }

  /**
   * Hands off every slot's partly filled buffer behind what is queued: each thread's lines stay in
   * the order it logged them, and none waits longer than the flush interval.
   */
  private void sweep() {
    for (Slot each : slots) {
      synchronized (each) {
        each.handOff();
      }
    }
  }

  /** Writes one buffer and gives it back to the pool, whatever the output does. */
  private void write(Filled filled) {
    ByteBuffer buffer = filled.buffer().flip();
    try {
      while (buffer.hasRemaining()) {
        out.write(buffer);
      }
      written.increment(filled.lines());
    } catch (Exception e) {
      // Any failure of the output, checked or not, costs these lines and never the writer.
      droppedFailed.increment(filled.lines());
      droppedSinceReport.addAndGet(filled.lines());
      if (!writeFailureReported) {
        writeFailureReported = true;
        LOG.warn("the access log cannot be written: {}", e.toString());
      }
    } finally {
      buffer.clear();
      free.offer(buffer);
    }
  }

  private void reportDrops(boolean now) {
    long time = System.nanoTime();
    if (!now && time - lastReport < DROP_REPORT_INTERVAL_NANOS) {
      return;
    }
    lastReport = time;
    long dropped = droppedSinceReport.getAndSet(0);
    if (dropped > 0) {
      LOG.warn(
          "{} access log lines were not written since the last report: the output is slower than"
              + " the traffic, or failing (gateway_access_log_dropped_lines_total)",
          dropped);
    }
  }

  private void closeOutput() {
    try {
      out.close();
    } catch (IOException e) {
      LOG.warn("closing the access log: {}", e.toString());
    }
    // Handed off, or still in a slot, after the close's sweep: from a thread that had not seen it.
    for (Slot each : slots) {
      synchronized (each) {
        if (each.buffer != null && each.lines > 0) {
          droppedClosed.increment(each.lines);
          droppedSinceReport.addAndGet(each.lines);
        }
        each.buffer = null;
        each.lines = 0;
      }
    }
    Object job;
    while ((job = jobs.poll()) != null) {
      if (job instanceof Filled filled) {
        droppedClosed.increment(filled.lines());
        droppedSinceReport.addAndGet(filled.lines());
      } else if (job instanceof Flush flush) {
        flush.done().complete(null);
      }
    }
    reportDrops(true);
    closed.complete(null);
  }
}
