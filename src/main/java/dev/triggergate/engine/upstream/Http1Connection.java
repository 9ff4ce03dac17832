package dev.triggergate.engine.upstream;

import dev.triggergate.engine.LaunchResult.Relayed;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.util.concurrent.TimeUnit;

/**
 * One keep-alive HTTP/1.1 connection to an upstream host, carrying one exchange at a time: writes a
 * request, reads its answer with a {@link ResponseParser}, and hands the connection back to its
 * {@link Http1Pool} when the answer is complete and the connection may carry another. Everything
 * runs on the event loop that opened it.
 */
final class Http1Connection implements ResponseParser.Listener {
  private final NetSocket socket;
  private final Http1Pool pool;
  private final long timeoutNanos;
  private final int bufferBytes;
  private final ResponseParser parser = new ResponseParser(this);
  private Exchange exchange;
  private boolean usable = true;
  long idleSinceNanos;

  Http1Connection(NetSocket socket, Http1Pool pool, long timeoutMs, int bufferBytes) {
    this.socket = socket;
    this.pool = pool;
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    this.bufferBytes = bufferBytes;
    socket.handler(this::read);
    // The end of the bytes comes in order after the last of them, even while reading is paused.
    socket.endHandler(end -> upstreamClosed());
    socket.closeHandler(closed -> pool.closed(this));
    // A reset or a failed write closes the socket; the end handler then fails the exchange.
    socket.exceptionHandler(failure -> socket.close());
  }

  /** Writes a whole request, in the parts given, and answers with the start of its answer. */
  Future<Relayed> send(Buffer[] request) {
    Exchange sent = new Exchange();
    exchange = sent;
    parser.expectAnswer();
    for (Buffer part : request) {
      socket.write(part);
    }
    return sent.answer.future();
  }

  boolean usable() {
    return usable;
  }

  void close() {
    usable = false;
    socket.close();
  }

  void pauseReading() {
    socket.pause();
  }

  void resumeReading() {
    socket.resume();
  }

  @Override
  public void head(int status, MultiMap headers) {
    exchange.status = status;
    exchange.headers = ForwardedHeaders.dropHopByHop(headers);
  }

  @Override
  public void body(Buffer part) {
    Exchange current = exchange;
    if (current.rest != null) {
      current.rest.push(part);
      return;
    }
    current.append(part);
    if (current.head.length() > bufferBytes) {
      current.rest = new AnswerStream(this);
      pauseReading();
      current.answer.complete(
          new Relayed(current.status, current.headers, current.head, current.rest));
    }
  }

  @Override
  public void end(boolean reusable) {
    Exchange done = exchange;
    exchange = null;
    if (done.rest != null) {
      // The stream may have paused reading; the next exchange must start with it running.
      resumeReading();
      done.rest.end();
    } else {
      done.answer.complete(
          new Relayed(
              done.status, done.headers, done.head == null ? Buffer.buffer() : done.head, null));
    }
    if (reusable && usable) {
      pool.release(this);
    } else {
      close();
    }
  }

  private void read(Buffer bytes) {
    if (exchange != null) {
      exchange.lastReadNanos = System.nanoTime();
    }
    try {
      parser.read(bytes);
    } catch (ResponseParser.NotHttp notHttp) {
      fail(Outcome.NOT_HTTP);
    }
  }

  private void upstreamClosed() {
    usable = false;
    if (exchange != null && !parser.closed()) {
      fail(Outcome.CLOSED);
    }
  }

  /**
   * Called by the pool's clock: after the response timeout without a byte of the answer, the
   * exchange is given up, and so is the connection (a late answer must never be read as the next
   * one's).
   */
  void expireIfSilent(long now) {
    if (exchange != null && now - exchange.lastReadNanos >= timeoutNanos) {
      fail(Outcome.TIMEOUT);
    }
  }

  private void fail(Outcome outcome) {
    Exchange failed = exchange;
    exchange = null;
    close();
    if (failed == null) {
      return;
    }
    if (failed.rest != null) {
      failed.rest.fail(outcome.failure());
    } else {
      failed.answer.fail(outcome.failure());
    }
  }

  /** One request and the answer read so far. */
  private static final class Exchange {
    final Promise<Relayed> answer = Promise.promise();
    long lastReadNanos = System.nanoTime();
    int status;
    MultiMap headers;
    Buffer head;
    boolean owned;
    AnswerStream rest;

    /** The usual single-part answer is kept as it came, without a copy. */
    void append(Buffer part) {
      if (head == null) {
        head = part;
        return;
      }
      if (!owned) {
        head = Buffer.buffer(head.length() + part.length()).appendBuffer(head);
        owned = true;
      }
      head.appendBuffer(part);
    }
  }
}
