package dev.triggergate.engine.upstream;

import dev.triggergate.engine.Origin;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The headers that cross the gateway, in both directions. End-to-end headers pass untouched;
 * hop-by-hop ones stop here (RFC 9110 §7.6.1), including every header the {@code Connection} field
 * names; the request gains {@code X-Forwarded-For/Proto/Host}.
 */
final class ForwardedHeaders {
  static final String X_FORWARDED_FOR = "X-Forwarded-For";
  static final String X_FORWARDED_PROTO = "X-Forwarded-Proto";
  static final String X_FORWARDED_HOST = "X-Forwarded-Host";
  static final String REQUEST_ID = "Request-ID";
  static final String X_REQUEST_ID = "X-Request-ID";

  /** Meaningful for one connection only (RFC 9110 §7.6.1, RFC 9112 §9.6, and the legacy two). */
  private static final Set<String> HOP_BY_HOP =
      ignoringCase(
          List.of(
              "Connection",
              "Keep-Alive",
              "Proxy-Connection",
              "Proxy-Authenticate",
              "Proxy-Authorization",
              "TE",
              "Trailer",
              "Transfer-Encoding",
              "Upgrade"));

  /**
   * Hop-by-hop, plus the request's framing and target, which are the gateway's to set on its own
   * connection: the body goes whole with its length, to the upstream's host, and {@code
   * 100-continue} was answered here.
   */
  private static final Set<String> NOT_FORWARDED =
      ignoringCase(HOP_BY_HOP, List.of("Host", "Content-Length", "Expect"));

  private ForwardedHeaders() {}

  /** Where forwarded headers go: a header map, or a request head being written. */
  @FunctionalInterface
  interface Sink {
    void add(String name, String value);
  }

  /** Hands {@code out} the headers to send upstream for a request from {@code origin}. */
  static void toUpstream(Origin origin, String requestId, Sink out) {
    MultiMap in = origin.headers();
    Set<String> named = connectionOptions(in);
    // The gateway's request id came from one of the client's fields, or was made here: then the
    // upstream gets it too, so both logs name the same id.
    boolean madeHere =
        !requestId.equals(in.get(REQUEST_ID)) && !requestId.equals(in.get(X_REQUEST_ID));
    boolean forHost = origin.host() != null;
    String forwardedFor = null;
    for (Map.Entry<String, String> header : in) {
      String name = header.getKey();
      if (NOT_FORWARDED.contains(name)
          || named.contains(name)
          || name.equalsIgnoreCase(X_FORWARDED_PROTO)
          || (forHost && name.equalsIgnoreCase(X_FORWARDED_HOST))
          || (madeHere && name.equalsIgnoreCase(X_REQUEST_ID))) {
        continue;
      }
      if (name.equalsIgnoreCase(X_FORWARDED_FOR)) {
        forwardedFor =
            forwardedFor == null ? header.getValue() : forwardedFor + ", " + header.getValue();
      } else {
        out.add(name, header.getValue());
      }
    }
    if (madeHere) {
      out.add(X_REQUEST_ID, requestId);
    }
    if (origin.clientAddress() != null) {
      forwardedFor =
          forwardedFor == null
              ? origin.clientAddress()
              : forwardedFor + ", " + origin.clientAddress();
    }
    if (forwardedFor != null) {
      out.add(X_FORWARDED_FOR, forwardedFor);
    }
    out.add(X_FORWARDED_PROTO, origin.scheme());
    if (forHost) {
      out.add(X_FORWARDED_HOST, origin.host());
    }
  }

  /**
   * Takes out of an answer's own header map what is not the client's: the hop-by-hop fields and the
   * framing, which the gateway decides on its own connection (RFC 9112 §6.3: the whole answer goes
   * with its length, a streamed one chunked); returns the map.
   */
  static MultiMap dropFraming(MultiMap headers) {
    for (String name : connectionOptions(headers)) {
      headers.remove(name);
    }
    for (String name : HOP_BY_HOP) {
      headers.remove(name);
    }
    headers.remove(HttpHeaders.CONTENT_LENGTH);
    return headers;
  }

  /** The header names listed in {@code Connection}. */
  private static Set<String> connectionOptions(MultiMap headers) {
    List<String> values = headers.getAll(HttpHeaders.CONNECTION);
    if (values.isEmpty()) {
      return Set.of();
    }
    Set<String> named = ignoringCase(List.of());
    for (String value : values) {
      for (String option : value.split(",")) {
        if (!option.isBlank()) {
          named.add(option.trim());
        }
      }
    }
    return named;
  }

  /** Header names compared ignoring case, without lower-casing each name looked up. */
  @SafeVarargs
  private static Set<String> ignoringCase(Collection<String>... names) {
    Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    for (Collection<String> some : names) {
      set.addAll(some);
    }
    return set;
  }
}
