package dev.triggergate.engine;

import java.util.List;

/**
 * What an engine did with a batch.
 *
 * @param profileIds the profiles the mailing was launched for, in item order, each once
 * @param unmatched how many items matched no profile (left out of the answer, SPEC §5)
 */
public record LaunchResult(List<String> profileIds, int unmatched) {
  public LaunchResult {
    profileIds = List.copyOf(profileIds);
  }
}
