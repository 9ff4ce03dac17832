package dev.triggergate.engine.upstream;

import io.netty.channel.socket.DuplexChannel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream that answers with exactly the bytes a test scripts, as a broken or hostile server
 * would: each connection plays its own list of answers, one per request it receives (so keep-alive
 * and what follows an answer can be tested), each answer a list of steps. It reads requests with
 * {@code Content-Length} framing, which is how the gateway sends them.
 */
public final class ScriptedUpstream implements AutoCloseable {
  /** One thing an answer does. */
  public sealed interface Step {}

  /** Writes these bytes (ISO-8859-1: one char, one byte). */
  public record Send(String bytes) implements Step {}

  /** Writes these bytes one at a time, one every {@code everyMs}. */
  public record Dribble(String bytes, long everyMs) implements Step {}

  /** Waits before the next step. */
  public record Pause(long ms) implements Step {}

  /** Closes the connection. */
  public record Close() implements Step {}

  /** Shuts the connection's output down (FIN) and goes on reading. */
  public record HalfClose() implements Step {}

  /** Steps of one answer. */
  public static List<Step> answer(Step... steps) {
    return List.of(steps);
  }

  public static Send send(String bytes) {
    return new Send(bytes);
  }

  /** A complete answer with this status line remainder, headers (CRLF-ended lines) and body. */
  public static Send http(String statusAndHeaders, String body) {
    return new Send(
        "HTTP/1.1 " + statusAndHeaders + "Content-Length: " + body.length() + "\r\n\r\n" + body);
  }

  /**
   * One request as received.
   *
   * @param connection which connection it came on, counting from 0 in accept order
   */
  public record Received(int connection, String head, byte[] body) {}

  private final NetServer server;
  private final Vertx vertx;
  private final List<List<List<Step>>> scripts;
  private final AtomicInteger connections = new AtomicInteger();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Map<Integer, Promise<Void>> closes = new ConcurrentHashMap<>();

  private ScriptedUpstream(Vertx vertx, List<List<List<Step>>> scripts) {
    this.vertx = vertx;
    this.scripts = scripts;
    this.server =
        vertx.createNetServer().connectHandler(this::accept).listen(0, "127.0.0.1").await();
  }

  /**
   * Starts on a free loopback port. Connection {@code i} plays {@code perConnection[i]} (the last
   * one for every later connection): its answers, in order, one per request.
   */
  @SafeVarargs
  public static ScriptedUpstream start(Vertx vertx, List<List<Step>>... perConnection) {
    return new ScriptedUpstream(vertx, Arrays.asList(perConnection));
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  public List<Received> received() {
    return received;
  }

  public int connections() {
    return connections.get();
  }

  /** Completes when connection {@code index} (in accept order) has closed, from either side. */
  public Future<Void> closed(int index) {
    return closes.computeIfAbsent(index, i -> Promise.promise()).future();
  }

  private void accept(NetSocket socket) {
    int index = connections.getAndIncrement();
    socket.closeHandler(
        closed -> closes.computeIfAbsent(index, i -> Promise.promise()).tryComplete());
    ArrayDeque<List<Step>> answers =
        new ArrayDeque<>(scripts.get(Math.min(index, scripts.size() - 1)));
    Buffer[] pending = {Buffer.buffer()};
    socket.handler(
        bytes -> {
          pending[0].appendBuffer(bytes);
          Received request;
          while ((request = cut(index, pending)) != null) {
            received.add(request);
            List<Step> answer = answers.poll();
            if (answer != null) {
              play(socket, new ArrayDeque<>(answer));
            }
          }
        });
  }

  /** Takes one whole request off the front of {@code pending[0]}, or returns null. */
  private static Received cut(int connection, Buffer[] pending) {
    String text = pending[0].toString(StandardCharsets.ISO_8859_1);
    int headEnd = text.indexOf("\r\n\r\n");
    if (headEnd < 0) {
      return null;
    }
    String head = text.substring(0, headEnd);
    int length = 0;
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
      }
    }
    int end = headEnd + 4 + length;
    if (pending[0].length() < end) {
      return null;
    }
    byte[] body = pending[0].getBytes(headEnd + 4, end);
    pending[0] = pending[0].getBuffer(end, pending[0].length());
    return new Received(connection, head, body);
  }

  private void play(NetSocket socket, ArrayDeque<Step> steps) {
    Step step = steps.poll();
    if (step == null) {
      return;
    }
    if (step instanceof Send send) {
      socket.write(Buffer.buffer(send.bytes().getBytes(StandardCharsets.ISO_8859_1)));
      play(socket, steps);
    } else if (step instanceof Dribble dribble) {
      dribble(socket, dribble, 0, steps);
    } else if (step instanceof Pause pause) {
      vertx.setTimer(pause.ms(), fired -> play(socket, steps));
    } else if (step instanceof Close) {
      socket.close();
    } else if (step instanceof HalfClose) {
      // After what was written so far has gone out: a shutdown fails writes still pending.
      socket
          .write(Buffer.buffer())
          .onComplete(
              written -> {
                ((DuplexChannel) ((NetSocketInternal) socket).channelHandlerContext().channel())
                    .shutdownOutput();
                play(socket, steps);
              });
    }
  }

  private void dribble(NetSocket socket, Dribble dribble, int index, ArrayDeque<Step> steps) {
    if (index == dribble.bytes().length()) {
      play(socket, steps);
      return;
    }
    socket.write(Buffer.buffer(new byte[] {(byte) dribble.bytes().charAt(index)}));
    vertx.setTimer(dribble.everyMs(), fired -> dribble(socket, dribble, index + 1, steps));
  }

  @Override
  public void close() {
    server.close().await();
  }
}
