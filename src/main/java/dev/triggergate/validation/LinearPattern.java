package dev.triggergate.validation;

import dev.triggergate.validation.EcmaPattern.Anchor;
import dev.triggergate.validation.EcmaPattern.Chars;
import dev.triggergate.validation.EcmaPattern.Node;
import dev.triggergate.validation.EcmaPattern.Repeat;
import dev.triggergate.validation.EcmaPattern.UnitSet;
import java.util.ArrayList;
import java.util.List;

/**
 * An ECMA-262 pattern of the plain kind schemas use for formats, matched in one forward pass with
 * no allocation: {@code ^}, then a chain of character sets each with a count, then an optional
 * {@code $}, where no set with a variable count overlaps what may follow it, so greedy matching
 * never has to back up. {@link #of} returns null for any other pattern, which stays with
 * java.util.regex. It steps through UTF-16 code units and takes {@code $} as the end of the input,
 * as ECMA-262 does. On the email and profile_id patterns it takes about half the time of a reused
 * Matcher on their translations (BENCHMARKS.md, issue 11).
 */
final class LinearPattern {
  private final boolean toEnd;
  // The atoms, flattened into arrays: the match loop then reads primitives and one table per atom.
  private final boolean[][] asciiTables;
  private final UnitSet[] sets;
  private final int[] mins;
  private final int[] maxes;

  private LinearPattern(List<Repeat> atoms, boolean toEnd) {
    this.toEnd = toEnd;
    int n = atoms.size();
    asciiTables = new boolean[n][128];
    sets = new UnitSet[n];
    mins = new int[n];
    maxes = new int[n];
    for (int i = 0; i < n; i++) {
      Repeat atom = atoms.get(i);
      sets[i] = ((Chars) atom.atom()).set();
      for (char c = 0; c < 128; c++) {
        asciiTables[i][c] = sets[i].contains(c);
      }
      mins[i] = atom.min();
      maxes[i] = atom.max();
    }
  }

  /** The one-pass form of the pattern, or null when it is not of the plain kind. */
  static LinearPattern of(EcmaPattern pattern) {
    if (pattern.alternatives().size() != 1) {
      return null;
    }
    List<Node> nodes = pattern.alternatives().get(0);
    if (nodes.isEmpty() || nodes.get(0) != Anchor.START) {
      return null;
    }
    boolean toEnd = nodes.size() > 1 && nodes.get(nodes.size() - 1) == Anchor.END;
    List<Repeat> atoms = new ArrayList<>();
    for (Node node : nodes.subList(1, nodes.size() - (toEnd ? 1 : 0))) {
      if (node instanceof Chars chars) {
        atoms.add(new Repeat(chars, 1, 1, false));
      } else if (node instanceof Repeat repeat
          && repeat.atom() instanceof Chars
          && !repeat.lazy()) {
        atoms.add(repeat);
      } else {
        return null;
      }
    }
    return needsBacktracking(atoms) ? null : new LinearPattern(atoms, toEnd);
  }

  /** Greedy equals backtracking when a variable count's set is disjoint from what may follow. */
  private static boolean needsBacktracking(List<Repeat> atoms) {
    for (int i = 0; i < atoms.size(); i++) {
      Repeat atom = atoms.get(i);
      if (atom.min() == atom.max()) {
        continue;
      }
      for (int j = i + 1; j < atoms.size(); j++) {
        Repeat next = atoms.get(j);
        if (set(atom).overlaps(set(next))) {
          return true;
        }
        if (next.min() > 0) {
          break;
        }
      }
    }
    return false;
  }

  private static UnitSet set(Repeat atom) {
    return ((Chars) atom.atom()).set();
  }

  /** Whether the string matches, as ECMA-262's {@code RegExp.prototype.test} would say. */
  boolean find(String s) {
    int pos = 0;
    int length = s.length();
    for (int i = 0; i < mins.length; i++) {
      boolean[] ascii = asciiTables[i];
      UnitSet set = sets[i];
      int from = pos;
      int limit = maxes[i] < length - pos ? pos + maxes[i] : length;
      while (pos < limit) {
        char unit = s.charAt(pos);
        if (unit < 128 ? !ascii[unit] : !set.contains(unit)) {
          break;
        }
        pos++;
      }
      if (pos - from < mins[i]) {
        return false;
      }
    }
    return !toEnd || pos == length;
  }
}
