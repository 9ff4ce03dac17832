package dev.triggergate;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A plain TCP connection to a server on loopback, for bytes no HTTP client would send: it writes
 * anything (at once, or trickled one byte at a time on a timer), reads with a bound on every wait,
 * and splits what came back into HTTP/1.1 responses.
 *
 * <p>Writes run on a writer thread, so a server that stops reading can never block the test thread;
 * reads run on the calling thread (or one of their own, to see a close when it happens) and give up
 * when their bound passes, so a server that hangs fails the test instead of hanging the build.
 */
public final class RawHttp implements AutoCloseable {
  /** The longest any read waits by default. */
  public static final Duration BOUND = Duration.ofSeconds(15);

  private static final ExecutorService WRITERS =
      Executors.newCachedThreadPool(daemon("raw-http-writer"));
  private static final ExecutorService READERS =
      Executors.newCachedThreadPool(daemon("raw-http-reader"));
  private static final ScheduledExecutorService TIMERS =
      Executors.newSingleThreadScheduledExecutor(daemon("raw-http-timer"));
  private static final byte[] HEAD_END = {'\r', '\n', '\r', '\n'};

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final long openedAt = System.nanoTime();
  private final ByteArrayOutputStream received = new ByteArrayOutputStream();
  private CompletableFuture<Void> writes = CompletableFuture.completedFuture(null);
  private volatile boolean closedByUs;
  private volatile boolean writeFailed;
  private boolean closedByServer;
  private boolean reset;
  private long closedAt;

  private RawHttp(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  /** Connects to {@code 127.0.0.1:port}. */
  public static RawHttp open(int port) {
    Socket socket = new Socket();
    try {
      socket.connect(
          new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), (int) BOUND.toMillis());
      // One segment per write: a trickled byte leaves at once instead of waiting for an ACK.
      socket.setTcpNoDelay(true);
      return new RawHttp(socket);
    } catch (IOException e) {
      closeQuietly(socket);
      throw new UncheckedIOException("cannot connect to 127.0.0.1:" + port, e);
    }
  }

  /**
   * A whole HTTP/1.1 JSON POST, as text for {@link #send}: the head with {@code headerLines} (each
   * ending in CRLF, or none) before its Content-Length, then the body (ASCII: one byte a char).
   */
  public static String jsonPost(String target, String headerLines, String body) {
    return "POST "
        + target
        + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + headerLines
        + "Content-Length: "
        + body.length()
        + "\r\n\r\n"
        + body;
  }

  /** Queues text for writing, one byte per char (ISO-8859-1), so any byte can be written. */
  public RawHttp send(String text) {
    return send(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  /**
   * Queues bytes for writing after everything queued before. A write the server refuses (it closed
   * the connection) is noted, not thrown: what it answered is still there to read.
   */
  public synchronized RawHttp send(byte[] bytes) {
    writes = writes.thenRunAsync(() -> write(bytes, 0, bytes.length), WRITERS);
    return this;
  }

  /**
   * Writes {@code bytes} one at a time, the first at once and then one every {@code every}, after
   * everything queued before. Completes with the number of bytes written: fewer than all when the
   * server closed the connection first.
   */
  public synchronized CompletableFuture<Integer> trickle(byte[] bytes, Duration every) {
    CompletableFuture<Integer> done = new CompletableFuture<>();
    writes.thenRun(() -> tick(bytes, 0, every, done));
    writes = done.thenApply(count -> null);
    return done;
  }

  public CompletableFuture<Integer> trickle(String text, Duration every) {
    return trickle(text.getBytes(StandardCharsets.ISO_8859_1), every);
  }

  private void tick(byte[] bytes, int index, Duration every, CompletableFuture<Integer> done) {
    if (index == bytes.length || closedByUs || !write(bytes, index, 1)) {
      done.complete(index);
      return;
    }
    TIMERS.schedule(
        () -> tick(bytes, index + 1, every, done), every.toNanos(), TimeUnit.NANOSECONDS);
  }

  private boolean write(byte[] bytes, int offset, int length) {
    if (writeFailed || closedByUs) {
      return false;
    }
    try {
      out.write(bytes, offset, length);
      out.flush();
      return true;
    } catch (IOException e) {
      writeFailed = true;
      return false;
    }
  }

  /** Completes once everything queued so far is written (or the server refused the rest). */
  public synchronized CompletableFuture<Void> sent() {
    return writes;
  }

  /** Whether a write failed because the server had closed the connection. */
  public boolean writeFailed() {
    return writeFailed;
  }

  /**
   * Sends a FIN once the queued writes are done: to the server this client has closed the
   * connection, while the test can still read what the server does about it.
   */
  public void shutdownOutput() {
    await(sent(), BOUND);
    try {
      socket.shutdownOutput();
    } catch (IOException e) {
      // Already closed by the server: the same thing as far as the test is concerned.
    }
  }

  /** Reads until the server closes the connection or {@link #BOUND} passes. */
  public Exchange readUntilClosed() {
    return readUntilClosed(BOUND);
  }

  /** Reads until the server closes the connection or {@code bound} passes. */
  public Exchange readUntilClosed(Duration bound) {
    return read(bound, null, 0, 0);
  }

  /**
   * Reads until the server closes the connection or {@code bound} passes, on a thread of its own:
   * the close is seen when it happens, while the test does something else meanwhile.
   */
  public CompletableFuture<Exchange> readUntilClosedInBackground(Duration bound) {
    return inBackground(() -> readUntilClosed(bound));
  }

  /**
   * Runs blocking reads (of connections the caller does not touch meanwhile) on a thread of their
   * own.
   */
  public static <T> CompletableFuture<T> inBackground(Supplier<T> reads) {
    return CompletableFuture.supplyAsync(reads, READERS);
  }

  /**
   * Reads until the server closes the connection, or {@code bound} passes, or nothing more came for
   * {@code quiet} after whole responses: so a test expecting a close after an answer does not wait
   * the whole bound for a server that keeps the connection open.
   */
  public Exchange readUntilClosed(Duration bound, Duration quiet) {
    return read(bound, quiet, 0, 0);
  }

  /**
   * Reads until {@code count} whole responses arrived, the server closes, or {@code bound} passes.
   */
  public Exchange readResponses(int count, Duration bound) {
    return read(bound, null, count, 0);
  }

  /**
   * Reads until at least {@code count} bytes arrived, the server closes, or {@code bound} passes.
   */
  public Exchange readBytes(int count, Duration bound) {
    return read(bound, null, 0, count);
  }

  /**
   * The one read loop. Parsing happens only for the stop conditions that need it, so draining a
   * large answer stays linear.
   */
  private Exchange read(Duration bound, Duration quiet, int responsesWanted, int bytesWanted) {
    long deadline = System.nanoTime() + bound.toNanos();
    long lastByte = System.nanoTime();
    byte[] buffer = new byte[64 * 1024];
    while (!closedByServer) {
      if (bytesWanted > 0 && received.size() >= bytesWanted) {
        break;
      }
      if (responsesWanted > 0
          && parse(received.toByteArray(), false).responses().size() >= responsesWanted) {
        break;
      }
      long now = System.nanoTime();
      long wait = deadline - now;
      if (quiet != null) {
        Parsed parsed = parse(received.toByteArray(), false);
        if (!parsed.responses().isEmpty() && parsed.whole()) {
          wait = Math.min(wait, lastByte + quiet.toNanos() - now);
        }
      }
      // Past the bound, still take what is already there (bytes or a close), without waiting.
      boolean last = wait <= 0;
      try {
        socket.setSoTimeout(last ? 1 : (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait)));
        int n = in.read(buffer);
        if (n < 0) {
          closed(false);
        } else {
          received.write(buffer, 0, n);
          lastByte = System.nanoTime();
        }
      } catch (SocketTimeoutException e) {
        if (last) {
          break;
        }
      } catch (SocketException e) {
        if (closedByUs) {
          break;
        }
        // "Connection reset": the server dropped the connection (RST instead of FIN).
        closed(true);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return exchange();
  }

  private void closed(boolean byReset) {
    closedByServer = true;
    reset = byReset;
    closedAt = System.nanoTime();
  }

  /** What has been read so far. */
  public Exchange exchange() {
    byte[] raw = received.toByteArray();
    Parsed parsed = parse(raw, closedByServer);
    return new Exchange(
        parsed.responses(),
        parsed.whole(),
        closedByServer,
        reset,
        closedByServer ? Duration.ofNanos(closedAt - openedAt) : null,
        raw);
  }

  /** Time since the connection was opened. */
  public Duration age() {
    return Duration.ofNanos(System.nanoTime() - openedAt);
  }

  @Override
  public void close() {
    closedByUs = true;
    closeQuietly(socket);
  }

  /**
   * Lets {@code delay} pass on a timer. Only for a client whose behaviour under test is to do
   * nothing for that long (no event can stand in for "the client stayed silent").
   */
  public static void stayIdle(Duration delay) {
    CompletableFuture<Void> passed = new CompletableFuture<>();
    TIMERS.schedule(() -> passed.complete(null), delay.toNanos(), TimeUnit.NANOSECONDS);
    await(passed, delay.plus(BOUND));
  }

  /** Waits for a future, at most {@code bound}; a timeout fails the test. */
  public static <T> T await(CompletableFuture<T> future, Duration bound) {
    try {
      return future.get(bound.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("not done within " + bound, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError("failed: " + e.getCause(), e.getCause());
    }
  }

  /**
   * What a connection brought back.
   *
   * @param responses the whole responses, in order
   * @param whole whether the bytes end exactly after the last whole response (nothing partial)
   * @param closedByServer whether the server closed (FIN or RST) before the read stopped
   * @param reset whether it closed with a reset
   * @param closedAfter time from opening to the close, or null when it did not close
   * @param raw every byte received
   */
  public record Exchange(
      List<Response> responses,
      boolean whole,
      boolean closedByServer,
      boolean reset,
      Duration closedAfter,
      byte[] raw) {

    public Response first() {
      if (responses.isEmpty()) {
        throw new AssertionError("no whole response; " + this);
      }
      return responses.get(0);
    }

    @Override
    public String toString() {
      String text = new String(raw, StandardCharsets.ISO_8859_1);
      if (text.length() > 600) {
        text = text.substring(0, 600) + "…(" + raw.length + " bytes)";
      }
      return "closedByServer="
          + closedByServer
          + (reset ? " (reset)" : "")
          + (closedAfter == null ? "" : " after " + closedAfter.toMillis() + " ms")
          + ", responses="
          + responses.size()
          + ", received: "
          + text.replace("\r", "\\r").replace("\n", "\\n\n");
    }
  }

  /**
   * One HTTP response.
   *
   * @param statusLine the first line, as sent
   * @param status the status code, or -1 when the first line is not an HTTP status line
   */
  public record Response(
      String statusLine, int status, List<Map.Entry<String, String>> headers, byte[] body) {

    /** The first value of a header, by case-insensitive name, or null. */
    public String header(String name) {
      List<String> values = headers(name);
      return values.isEmpty() ? null : values.get(0);
    }

    public List<String> headers(String name) {
      List<String> values = new ArrayList<>();
      for (Map.Entry<String, String> header : headers) {
        if (header.getKey().equalsIgnoreCase(name)) {
          values.add(header.getValue());
        }
      }
      return values;
    }

    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      String text = bodyText();
      if (text.length() > 400) {
        text = text.substring(0, 400) + "…(" + body.length + " bytes)";
      }
      return statusLine + " " + headers + " " + text;
    }
  }

  private record Parsed(List<Response> responses, boolean whole) {}

  /** Splits bytes into responses; {@code eof} lets a response without a length end at the end. */
  static Parsed parse(byte[] data, boolean eof) {
    try {
      return parseOrThrow(data, eof);
    } catch (NumberFormatException e) {
      // A length or chunk size the test cannot read: show everything as one pseudo-response.
      return new Parsed(List.of(new Response("unreadable response", -1, List.of(), data)), true);
    }
  }

  private static Parsed parseOrThrow(byte[] data, boolean eof) {
    List<Response> responses = new ArrayList<>();
    int pos = 0;
    while (pos < data.length) {
      int headEnd = indexOf(data, HEAD_END, pos);
      if (headEnd < 0) {
        break;
      }
      String[] lines =
          new String(data, pos, headEnd - pos, StandardCharsets.ISO_8859_1).split("\r\n", -1);
      int status = statusOf(lines[0]);
      List<Map.Entry<String, String>> headers = new ArrayList<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0) {
          headers.add(
              Map.entry(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim()));
        }
      }
      int bodyStart = headEnd + HEAD_END.length;
      Response probe = new Response(lines[0], status, headers, new byte[0]);
      String length = probe.header("Content-Length");
      String coding = probe.header("Transfer-Encoding");
      if (status == -1) {
        // Not HTTP: keep the rest as the body of a pseudo-response, so the test can show it.
        responses.add(new Response(lines[0], -1, headers, slice(data, bodyStart, data.length)));
        pos = data.length;
        break;
      } else if ((status >= 100 && status < 200) || status == 204 || status == 304) {
        responses.add(probe);
        pos = bodyStart;
      } else if (coding != null && coding.toLowerCase(Locale.ROOT).contains("chunked")) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int end = dechunk(data, bodyStart, body);
        if (end < 0) {
          break;
        }
        responses.add(new Response(lines[0], status, headers, body.toByteArray()));
        pos = end;
      } else if (length != null) {
        long declared = Long.parseLong(length.trim());
        if (bodyStart + declared > data.length) {
          break;
        }
        responses.add(
            new Response(
                lines[0], status, headers, slice(data, bodyStart, (int) (bodyStart + declared))));
        pos = (int) (bodyStart + declared);
      } else if (eof) {
        responses.add(new Response(lines[0], status, headers, slice(data, bodyStart, data.length)));
        pos = data.length;
      } else {
        break;
      }
    }
    return new Parsed(responses, pos == data.length);
  }

  private static int statusOf(String line) {
    // Any "<protocol>/<version> <code>" counts, so a status sent with a bogus version (echoed
    // from the request) still shows as that status.
    String[] parts = line.split(" ", 3);
    if (parts.length < 2 || !parts[0].contains("/") || parts[1].length() != 3) {
      return -1;
    }
    try {
      return Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Decodes a chunked body from {@code pos}; returns where it ends, or -1 when incomplete. */
  private static int dechunk(byte[] data, int pos, ByteArrayOutputStream body) {
    while (true) {
      int lineEnd = indexOf(data, new byte[] {'\r', '\n'}, pos);
      if (lineEnd < 0) {
        return -1;
      }
      String sizeText = new String(data, pos, lineEnd - pos, StandardCharsets.ISO_8859_1);
      int semicolon = sizeText.indexOf(';');
      int size =
          Integer.parseInt(
              (semicolon < 0 ? sizeText : sizeText.substring(0, semicolon)).trim(), 16);
      pos = lineEnd + 2;
      if (size == 0) {
        // Trailers, then an empty line.
        int end = indexOf(data, new byte[] {'\r', '\n'}, pos);
        while (end >= 0 && end != pos) {
          pos = end + 2;
          end = indexOf(data, new byte[] {'\r', '\n'}, pos);
        }
        return end < 0 ? -1 : end + 2;
      }
      if (pos + size + 2 > data.length) {
        return -1;
      }
      body.write(data, pos, size);
      pos += size + 2;
    }
  }

  private static byte[] slice(byte[] data, int from, int to) {
    byte[] out = new byte[to - from];
    System.arraycopy(data, from, out, 0, out.length);
    return out;
  }

  private static int indexOf(byte[] data, byte[] needle, int from) {
    outer:
    for (int i = from; i <= data.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (data[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // Nothing left to do with it.
    }
  }

  private static ThreadFactory daemon(String name) {
    return runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    };
  }
}
