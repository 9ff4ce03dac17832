package dev.triggergate.http;

import dev.triggergate.api.RequestKeys;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Keeps the client's {@code Request-ID} (Altcraft's name) or {@code X-Request-ID}, or makes one,
 * and echoes it as {@code X-Request-ID}. An id that is too long or not printable ASCII is replaced:
 * it ends up in logs and headers.
 */
public final class RequestIds implements Handler<RoutingContext> {
  public static final String REQUEST_ID = "Request-ID";
  public static final String X_REQUEST_ID = "X-Request-ID";
  private static final int MAX_LENGTH = 128;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  @Override
  public void handle(RoutingContext ctx) {
    begin(ctx);
    ctx.next();
  }

  /** What {@link #handle} does, for a request no route will see (Pipeline's unrouted 400). */
  void begin(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String id = usable(request.getHeader(REQUEST_ID));
    if (id == null) {
      id = usable(request.getHeader(X_REQUEST_ID));
    }
    if (id == null) {
      id = generate();
    }
    ctx.put(RequestKeys.REQUEST_ID, id);
    ctx.response().putHeader(X_REQUEST_ID, id);
  }

  private static String usable(String id) {
    if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
      return null;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return null;
      }
    }
    return id;
  }

  /** 128 random bits as 32 hex characters; ThreadLocalRandom, as SecureRandom would contend. */
  static String generate() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] out = new char[32];
    long high = random.nextLong();
    long low = random.nextLong();
    for (int i = 0; i < 16; i++) {
      out[i] = HEX[(int) (high >>> (60 - 4 * i)) & 0xf];
      out[16 + i] = HEX[(int) (low >>> (60 - 4 * i)) & 0xf];
    }
    return new String(out);
  }
}
