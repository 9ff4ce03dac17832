package dev.triggergate.http;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.triggergate.api.RequestKeys;
import dev.triggergate.api.Sha256;
import dev.triggergate.dedup.Deduplication;
import dev.triggergate.engine.StartBatch;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Writes one JSON line per request when its response ends: time, id, status, error code, latency,
 * bytes, items, trigger, a short hash of the token (never the token itself) and whether the answer
 * was a repeat's (SPEC §8). Each event loop formats into a builder of its own, strings escaped by
 * Jackson's encoder; the line goes to the {@link AccessLogOutput}'s buffers.
 */
public final class AccessLog implements Handler<RoutingContext> {
  private static final JsonStringEncoder JSON = JsonStringEncoder.getInstance();

  /** Up to the second, so each thread formats a date once a second, not once a line. */
  private static final DateTimeFormatter SECOND =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.").withZone(ZoneOffset.UTC);

  /**
   * The most of one client-chosen text a line carries (escaped, a char may take six): a line stays
   * far within one buffer, so no request goes unlogged for its length.
   */
  static final int FIELD_MAX_CHARS = 2048;

  private final AccessLogOutput output;
  private final ThreadLocal<Format> format = ThreadLocal.withInitial(Format::new);

  public AccessLog(AccessLogOutput output) {
    this.output = output;
  }

  @Override
  public void handle(RoutingContext ctx) {
    begin(ctx);
    ctx.next();
  }

  /** What {@link #handle} does, for a request no route will see (Pipeline's unrouted 400). */
  void begin(RoutingContext ctx) {
    long start = System.nanoTime();
    output.lineToCome();
    ctx.addEndHandler(
        done -> {
          try {
            output.append(format.get().line(ctx, start));
          } finally {
            output.lineCame();
          }
        });
  }

  /** One thread's line builder and the little it remembers between lines. */
  private static final class Format {
    private final StringBuilder line = new StringBuilder(512);
    private long second = Long.MIN_VALUE;
    private String secondText;
    private String lastToken;
    private String lastTokenHash;
    private boolean truncated;

    StringBuilder line(RoutingContext ctx, long start) {
      HttpServerRequest request = ctx.request();
      long latencyMicros = (System.nanoTime() - start) / 1_000;
      StringBuilder out = line;
      out.setLength(0);
      truncated = false;
      out.append("{\"time\":\"");
      time(System.currentTimeMillis());
      out.append("\",\"request_id\":");
      string(ctx.get(RequestKeys.REQUEST_ID));
      out.append(",\"method\":");
      string(request.method().name());
      out.append(",\"path\":");
      string(request.path());
      out.append(",\"status\":").append(ClientOutcome.status(ctx));
      int error = ctx.get(RequestKeys.ERROR, 0);
      out.append(",\"error\":").append(error);
      out.append(",\"latency_ms\":").append(latencyMicros / 1_000).append('.');
      long fraction = latencyMicros % 1_000;
      if (fraction < 100) {
        out.append(fraction < 10 ? "00" : "0");
      }
      out.append(fraction);
      out.append(",\"bytes_in\":").append(request.bytesRead());
      out.append(",\"bytes_out\":").append(ctx.response().bytesWritten());
      out.append(",\"client\":");
      SocketAddress client = request.remoteAddress();
      string(client == null ? null : client.host());
      if (ClientOutcome.incomplete(ctx)) {
        out.append(",\"incomplete\":true");
      }
      if (ctx.response().headers().contains(Deduplication.DUPLICATE_REQUEST)) {
        out.append(",\"duplicate\":true");
      }
      StartBatch batch = ctx.get(RequestKeys.BATCH);
      if (batch != null) {
        out.append(",\"trigger_id\":").append(batch.triggerId());
        out.append(",\"items\":").append(batch.itemCount());
        out.append(",\"token_hash\":");
        string(tokenHash(batch.token()));
      }
      if (truncated) {
        out.append(",\"truncated\":true");
      }
      return out.append('}');
    }

    private void time(long millis) {
      long now = millis / 1_000;
      if (now != second) {
        second = now;
        secondText = SECOND.format(Instant.ofEpochSecond(now));
      }
      long fraction = millis % 1_000;
      line.append(secondText);
      if (fraction < 100) {
        line.append(fraction < 10 ? "00" : "0");
      }
      line.append(fraction).append('Z');
    }

    private void string(String value) {
      if (value == null) {
        line.append("null");
        return;
      }
      line.append('"');
      if (value.length() > FIELD_MAX_CHARS) {
        // A URI may be far longer than a line should be: its start is kept, and the line says so.
        JSON.quoteAsString(value.substring(0, FIELD_MAX_CHARS), line);
        truncated = true;
      } else {
        JSON.quoteAsString(value, line);
      }
      line.append('"');
    }

    /** A client sends one token after another: its hash is worked out once, not per line. */
    private String tokenHash(String token) {
      if (token == null) {
        return null;
      }
      if (!token.equals(lastToken)) {
        lastToken = token;
        lastTokenHash = AccessLog.tokenHash(token);
      }
      return lastTokenHash;
    }
  }

  /** The first 8 hex digits of the token's SHA-256: enough to tell clients apart in a log. */
  static String tokenHash(String token) {
    byte[] digest = Sha256.of(token);
    StringBuilder out = new StringBuilder(8);
    for (int i = 0; i < 4; i++) {
      out.append(Character.forDigit((digest[i] >> 4) & 0xf, 16));
      out.append(Character.forDigit(digest[i] & 0xf, 16));
    }
    return out.toString();
  }
}
