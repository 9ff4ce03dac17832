package dev.triggergate.engine;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;

/**
 * Where a batch came from, as a forwarding engine needs it: the request line and headers as the
 * client sent them, and the client's side of the connection.
 *
 * @param uri the path and query as the client sent them, in origin form
 * @param headers the client's request headers; read, never changed
 * @param clientAddress the peer's IP address
 * @param scheme {@code http} or {@code https}, as the client reached the gateway
 * @param host the host the client asked for ({@code Host} or {@code :authority}), or null
 */
public record Origin(
    String uri, MultiMap headers, String clientAddress, String scheme, String host) {

  /** The origin of a request the gateway is serving. */
  public static Origin of(HttpServerRequest request) {
    SocketAddress peer = request.remoteAddress();
    HostAndPort authority = request.authority();
    String query = request.query();
    return new Origin(
        // Origin form (RFC 9112 §3.2.1) even when the client sent an absolute URI: the authority
        // is the gateway's, and the upstream gets its own Host.
        query == null ? request.path() : request.path() + "?" + query,
        request.headers(),
        peer == null ? null : peer.hostAddress(),
        request.scheme(),
        authority == null
            ? null
            : authority.port() < 0 ? authority.host() : authority.host() + ":" + authority.port());
  }
}
