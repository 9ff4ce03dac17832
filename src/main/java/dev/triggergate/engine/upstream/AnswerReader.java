package dev.triggergate.engine.upstream;

import dev.triggergate.engine.LaunchResult.Relayed;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;

/**
 * Reads the start of an upstream answer before the client sees any of it. An answer that fits in
 * {@code bufferBytes} is read whole, so an upstream breaking off mid-answer still gets a clean 502;
 * a longer one is handed on with its remainder paused, to be streamed.
 */
final class AnswerReader {
  private final int bufferBytes;

  AnswerReader(int bufferBytes) {
    this.bufferBytes = bufferBytes;
  }

  Future<Relayed> read(HttpClientResponse response) {
    Promise<Relayed> read = Promise.promise();
    Head head = new Head();
    response.handler(
        chunk -> {
          head.append(chunk);
          if (head.length() > bufferBytes) {
            response.pause();
            response.handler(null);
            response.endHandler(null);
            response.exceptionHandler(null);
            read.tryComplete(relayed(response, head.buffer(), true));
          }
        });
    response.endHandler(end -> read.tryComplete(relayed(response, head.buffer(), false)));
    response.exceptionHandler(read::tryFail);
    return read.future();
  }

  private static Relayed relayed(HttpClientResponse response, Buffer head, boolean more) {
    return new Relayed(
        response.statusCode(),
        ForwardedHeaders.fromUpstream(response.headers()),
        head,
        more ? response : null);
  }

  /** The bytes so far; the usual single-chunk answer is kept as it came, without a copy. */
  private static final class Head {
    private Buffer buffer;
    private boolean owned;

    void append(Buffer chunk) {
      if (buffer == null) {
        buffer = chunk;
        return;
      }
      if (!owned) {
        buffer = Buffer.buffer(buffer.length() + chunk.length()).appendBuffer(buffer);
        owned = true;
      }
      buffer.appendBuffer(chunk);
    }

    int length() {
      return buffer == null ? 0 : buffer.length();
    }

    Buffer buffer() {
      return buffer == null ? Buffer.buffer() : buffer;
    }
  }
}
