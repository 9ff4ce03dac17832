package dev.triggergate.intake;

import dev.triggergate.api.ResponseFormat;
import dev.triggergate.engine.Origin;

/**
 * What the request line and headers say that the body reader needs.
 *
 * @param requestId the request id
 * @param headerToken the token from {@code Authorization: Bearer}, or null
 * @param queryToken the token from {@code ?token=}, or null
 * @param queryFormat the format from {@code ?format=}, or null
 * @param contentType the {@code Content-Type} header, or null
 * @param origin the request line, headers and client, for a forwarding engine
 */
public record RequestFacts(
    String requestId,
    String headerToken,
    String queryToken,
    ResponseFormat queryFormat,
    String contentType,
    Origin origin) {}
