package dev.triggergate.intake;

import dev.triggergate.api.ResponseFormat;

/**
 * What the request line and headers say that the body reader needs.
 *
 * @param requestId the request id
 * @param headerToken the token from {@code Authorization: Bearer}, or null
 * @param queryToken the token from {@code ?token=}, or null
 * @param queryFormat the format from {@code ?format=}, or null
 * @param contentType the {@code Content-Type} header, or null
 */
public record RequestFacts(
    String requestId,
    String headerToken,
    String queryToken,
    ResponseFormat queryFormat,
    String contentType) {}
