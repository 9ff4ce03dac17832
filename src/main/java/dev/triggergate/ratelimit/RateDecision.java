package dev.triggergate.ratelimit;

/**
 * What one policy said about one request.
 *
 * @param allowed whether the permits were granted
 * @param remaining permits left in the window after this request
 * @param waitMs how long an allowed request waits before it proceeds; for a refused one, how long
 *     until it could have been granted
 * @param resetMs how long until the window's quota is whole again
 */
public record RateDecision(boolean allowed, long remaining, long waitMs, long resetMs) {}
