package dev.triggergate.validation;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A regular expression of the plain kind schemas use for formats, matched in one forward pass with
 * no allocation: {@code ^}, then a chain of ASCII character sets each with a count, then an
 * optional {@code $}, where no set with a variable count overlaps what may follow it, so greedy
 * matching never has to back up. {@link #of} returns null for any other expression, which stays
 * with java.util.regex; for those it accepts, {@link #find} answers exactly as {@code
 * Pattern.matcher(s).find()} does (the check and vertx-json-schema must agree).
 */
final class LinearPattern {
  private static final int UNBOUNDED = Integer.MAX_VALUE;

  /** An ASCII set (bits 0-63 and 64-127), or its complement over all code points. */
  private record CharSet(long low, long high, boolean negated) {
    static CharSet of(long low, long high) {
      return new CharSet(low, high, false);
    }

    boolean has(int c) {
      if (c >= 128) {
        return negated;
      }
      long bits = c < 64 ? low : high;
      return ((bits >>> (c & 63)) & 1) != 0 != negated;
    }

    CharSet union(CharSet other) {
      return new CharSet(low | other.low, high | other.high, false);
    }

    CharSet negate() {
      return new CharSet(low, high, !negated);
    }

    boolean overlaps(CharSet other) {
      long a0 = negated ? ~low : low;
      long a1 = negated ? ~high : high;
      long b0 = other.negated ? ~other.low : other.low;
      long b1 = other.negated ? ~other.high : other.high;
      return (a0 & b0) != 0 || (a1 & b1) != 0 || (negated && other.negated);
    }
  }

  private record Atom(CharSet set, int min, int max) {}

  private static final CharSet SPACE = chars(" \t\n\u000B\f\r");
  private static final CharSet DIGIT = range('0', '9');
  private static final CharSet WORD =
      range('a', 'z').union(range('A', 'Z')).union(DIGIT).union(chars("_"));

  private final Pattern pattern;
  private final boolean toEnd;
  // The atoms, flattened into arrays: the match loop then reads primitives only.
  private final boolean[][] asciiTables;
  private final boolean[] negations;
  private final int[] mins;
  private final int[] maxes;

  private LinearPattern(Pattern pattern, List<Atom> atoms, boolean toEnd) {
    this.pattern = pattern;
    this.toEnd = toEnd;
    int n = atoms.size();
    asciiTables = new boolean[n][128];
    negations = new boolean[n];
    mins = new int[n];
    maxes = new int[n];
    for (int i = 0; i < n; i++) {
      Atom atom = atoms.get(i);
      for (int c = 0; c < 128; c++) {
        asciiTables[i][c] = atom.set.has(c);
      }
      negations[i] = atom.set.negated;
      mins[i] = atom.min;
      maxes[i] = atom.max;
    }
  }

  /** The one-pass form of the pattern, or null when it is not of the plain kind. */
  static LinearPattern of(Pattern pattern) {
    if (pattern.flags() != 0) {
      return null;
    }
    try {
      return new Parser(pattern).parse();
    } catch (IllegalArgumentException notPlain) {
      return null;
    }
  }

  /** Whether the string matches, as {@code Pattern.matcher(s).find()} would say. */
  boolean find(String s) {
    int pos = 0;
    int length = s.length();
    for (int i = 0; i < mins.length; i++) {
      boolean[] ascii = asciiTables[i];
      int max = maxes[i];
      // The common case first: a run of ASCII members, one character per unit.
      int from = pos;
      int limit = max < length - pos ? pos + max : length;
      while (pos < limit) {
        char unit = s.charAt(pos);
        if (unit >= 128 || !ascii[unit]) {
          break;
        }
        pos++;
      }
      int count = pos - from;
      // Past ASCII only a negated set goes on, by code point as Java's regex counts.
      if (negations[i]) {
        while (count < max && pos < length) {
          char unit = s.charAt(pos);
          if (unit < 128) {
            if (!ascii[unit]) {
              break;
            }
            pos++;
          } else {
            pos += Character.isSurrogate(unit) ? Character.charCount(s.codePointAt(pos)) : 1;
          }
          count++;
        }
      }
      if (count < mins[i]) {
        return false;
      }
    }
    return !toEnd || atEnd(s, pos);
  }

  /**
   * Java's {@code $}: the end, or before a line terminator that ends the input. A greedy pass that
   * stopped between {@code \r} and {@code \n} may have a match by giving the {@code \r} back: that
   * rare case goes to java.util.regex.
   */
  private boolean atEnd(String s, int pos) {
    int rest = s.length() - pos;
    if (rest == 0) {
      return true;
    }
    if (rest == 2) {
      return s.charAt(pos) == '\r' && s.charAt(pos + 1) == '\n';
    }
    if (rest > 2) {
      return false;
    }
    char c = s.charAt(pos);
    if (c == '\n') {
      return pos == 0 || s.charAt(pos - 1) != '\r' || pattern.matcher(s).find();
    }
    return c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029';
  }

  private static CharSet chars(String members) {
    CharSet set = CharSet.of(0, 0);
    for (char c : members.toCharArray()) {
      set = set.union(range(c, c));
    }
    return set;
  }

  private static CharSet range(char from, char to) {
    long low = 0;
    long high = 0;
    for (int c = from; c <= to; c++) {
      if (c < 64) {
        low |= 1L << c;
      } else {
        high |= 1L << (c - 64);
      }
    }
    return CharSet.of(low, high);
  }

  /** Reads the plain kind; throws IllegalArgumentException at anything else. */
  private static final class Parser {
    private final Pattern pattern;
    private final String regex;
    private int at;

    Parser(Pattern pattern) {
      this.pattern = pattern;
      this.regex = pattern.pattern();
    }

    LinearPattern parse() {
      expect('^');
      List<Atom> atoms = new ArrayList<>();
      boolean toEnd = false;
      while (at < regex.length()) {
        if (regex.charAt(at) == '$' && at == regex.length() - 1) {
          toEnd = true;
          break;
        }
        CharSet set = regex.charAt(at) == '[' ? charClass() : single();
        atoms.add(quantified(set));
      }
      requireNoBacktracking(atoms);
      return new LinearPattern(pattern, atoms, toEnd);
    }

    /** Greedy equals backtracking when a variable count's set is disjoint from what may follow. */
    private static void requireNoBacktracking(List<Atom> atoms) {
      for (int i = 0; i < atoms.size(); i++) {
        Atom atom = atoms.get(i);
        if (atom.min == atom.max) {
          continue;
        }
        for (int j = i + 1; j < atoms.size(); j++) {
          Atom next = atoms.get(j);
          if (atom.set.overlaps(next.set)) {
            throw new IllegalArgumentException("needs backtracking");
          }
          if (next.min > 0) {
            break;
          }
        }
      }
    }

    private CharSet single() {
      char c = regex.charAt(at++);
      if (c == '\\') {
        return escape(false);
      }
      if (".()[]{}|*+?^$".indexOf(c) >= 0 || c >= 128) {
        throw new IllegalArgumentException("not plain");
      }
      return range(c, c);
    }

    private CharSet charClass() {
      expect('[');
      boolean negated = at < regex.length() && regex.charAt(at) == '^';
      if (negated) {
        at++;
      }
      CharSet set = CharSet.of(0, 0);
      boolean first = true;
      while (true) {
        char c = next();
        if (c == ']' && !first) {
          break;
        }
        first = false;
        if (c == '[' || c == ']' || c == '&' || c >= 128) {
          throw new IllegalArgumentException("not plain");
        }
        if (c == '\\') {
          set = set.union(escape(true));
          continue;
        }
        boolean isRange =
            at + 1 < regex.length() && regex.charAt(at) == '-' && regex.charAt(at + 1) != ']';
        if (!isRange) {
          set = set.union(range(c, c));
          continue;
        }
        at++;
        char to = next();
        if (to == '\\' || to == '[' || to >= 128 || to < c) {
          throw new IllegalArgumentException("not plain");
        }
        set = set.union(range(c, to));
      }
      return negated ? set.negate() : set;
    }

    /** After a backslash: \s \d \w (ASCII, as Java defines them), their negations, punctuation. */
    private CharSet escape(boolean inClass) {
      char c = next();
      CharSet set =
          switch (c) {
            case 's' -> SPACE;
            case 'd' -> DIGIT;
            case 'w' -> WORD;
            case 'S' -> SPACE.negate();
            case 'D' -> DIGIT.negate();
            case 'W' -> WORD.negate();
            default -> {
              if (Character.isLetterOrDigit(c) || c >= 128) {
                throw new IllegalArgumentException("not plain");
              }
              yield range(c, c);
            }
          };
      if (inClass && set.negated) {
        // A complement inside a class reaches past ASCII; the sets here do not.
        throw new IllegalArgumentException("not plain");
      }
      return set;
    }

    private Atom quantified(CharSet set) {
      if (at >= regex.length()) {
        return new Atom(set, 1, 1);
      }
      int min;
      int max;
      switch (regex.charAt(at)) {
        case '?' -> {
          min = 0;
          max = 1;
          at++;
        }
        case '*' -> {
          min = 0;
          max = UNBOUNDED;
          at++;
        }
        case '+' -> {
          min = 1;
          max = UNBOUNDED;
          at++;
        }
        case '{' -> {
          at++;
          min = number();
          max = min;
          if (regex.charAt(at) == ',') {
            at++;
            max = regex.charAt(at) == '}' ? UNBOUNDED : number();
          }
          expect('}');
          if (max < min) {
            throw new IllegalArgumentException("not plain");
          }
        }
        default -> {
          return new Atom(set, 1, 1);
        }
      }
      if (at < regex.length() && (regex.charAt(at) == '?' || regex.charAt(at) == '+')) {
        throw new IllegalArgumentException("lazy or possessive");
      }
      return new Atom(set, min, max);
    }

    private int number() {
      int start = at;
      while (at < regex.length()
          && regex.charAt(at) >= '0'
          && regex.charAt(at) <= '9'
          && at - start < 6) {
        at++;
      }
      if (at == start || at >= regex.length()) {
        throw new IllegalArgumentException("not plain");
      }
      return Integer.parseInt(regex.substring(start, at));
    }

    private char next() {
      if (at >= regex.length()) {
        throw new IllegalArgumentException("unterminated");
      }
      return regex.charAt(at++);
    }

    private void expect(char c) {
      if (next() != c) {
        throw new IllegalArgumentException("not plain");
      }
    }
  }
}
