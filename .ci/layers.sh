#!/usr/bin/env bash
# Checks that every import in the library points down the layer picture of DESIGN.md: a module
# may use the modules listed below its own line, never one on its line or above it. `error` may
# be used by everyone (and, as the one exception, names `attr::FailInfo` and `crypto::CryptoError`
# itself); `lib.rs`, `guide.rs` (documentation) and `internal.rs` (the fuzzing entry points) may
# use anything. Test code (`tests.rs` files, inline `mod tests { .. }`) and comments
# are not looked at by that check; the last check (no program, no environment) reads them too.
#
# The check reads the source: every `crate::name` path, including those in grouped imports
# (`use crate::{a, b::c}`), names the top-level module `name` it depends on.
set -euo pipefail
cd "$(dirname "$0")/.."

# Top to bottom. Modules on one line are peers and may not use each other.
layers=(
  "ra time"
  "client server"
  "trust"
  "ca_certs"
  "http"
  "caps"
  "builder"
  "envelope"
  "message"
  "attr"
  "provider"
  "crypto"
  "cert"
  "asn1"
  "limits"
  "oid"
)
exempt_users="lib guide internal error"
everyone_may_use="error"

layers_rc=0
find src -name '*.rs' ! -name tests.rs ! -path '*/tests/*' | sort |
  perl -e '
    my @layers = split /\|/, shift;
    my %exempt = map { $_ => 1 } split / /, shift;
    my %anyone = map { $_ => 1 } split / /, shift;
    my %level;
    for my $i (0 .. $#layers) { $level{$_} = $i for split / /, $layers[$i]; }
    my ($bad, $edges) = (0, 0);
    my %seen;
    while (my $file = <STDIN>) {
      chomp $file;
      my ($module) = $file =~ m{^src/([a-z_0-9]+)};
      open my $fh, "<", $file or die "$file: $!";
      my @lines = <$fh>;
      my $text = "";
      for (my $i = 0; $i <= $#lines; $i++) {
        # An inline test module ends the code that counts.
        last if $lines[$i] =~ /^#\[cfg\(.*\btest\b/ && ($lines[$i + 1] // "") =~ /^mod tests \{/;
        my $l = $lines[$i];
        $l =~ s{//.*$}{};
        $text .= $l;
      }
      next if $exempt{$module};
      die "$file: module $module is not in the layer list of .ci/layers.sh\n" unless exists $level{$module};
      my %used;
      # Grouped imports: use crate::{a, b::c, d::{e, f}}
      while ($text =~ /crate::\{/g) {
        my $pos = pos($text);
        my ($depth, $item, @items) = (1, "");
        while ($depth > 0 && $pos < length $text) {
          my $c = substr($text, $pos++, 1);
          if ($c eq "{") { $depth++; }
          elsif ($c eq "}") { $depth--; }
          if ($depth == 1 && $c eq ",") { push @items, $item; $item = ""; next; }
          $item .= $c if $depth >= 1 && !($depth == 1 && $c eq "}");
        }
        push @items, $item;
        for (@items) { $used{$1} = 1 if /^\s*([a-z_0-9]+)/; }
      }
      $used{$1} = 1 while $text =~ /crate::([a-z_0-9]+)/g;
      for my $dep (sort keys %used) {
        next if $dep eq $module || $anyone{$dep};
        next if $dep =~ /^[A-Z]/;
        $dep = "error" if $dep eq "Error";
        unless (exists $level{$dep}) {
          # crate::Certificate and crate::Error are re-exports of cert and error.
          next;
        }
        $edges++ unless $seen{"$module>$dep"}++;
        if ($level{$dep} <= $level{$module}) {
          print "layer violation: $file ($module) uses crate::$dep, which is not below it\n";
          $bad++;
        }
      }
    }
    print "layers: $edges distinct module imports checked, $bad violations\n";
    exit($bad ? 1 : 0);
  ' "$(IFS='|'; echo "${layers[*]}")" "$exempt_users" "$everyone_may_use" || layers_rc=1

# Files with one job: no library file over 600 lines before its inline test module.
max_lines=600
over=0
while IFS= read -r file; do
  n=$(awk 'index($0, "#[cfg(") == 1 && index($0, "test") { getline nxt; if (index(nxt, "mod tests {") == 1) exit; n += 2; next } { n++ } END { print n + 0 }' "$file")
  if [ "$n" -gt "$max_lines" ]; then
    echo "too long: $file has $n lines of non-test code (at most $max_lines)"
    over=1
  fi
done < <(find src -name '*.rs' ! -name tests.rs ! -path '*/tests/*' | sort)
[ "$over" -eq 0 ] && echo "sizes: every src/ file has at most $max_lines lines of non-test code"

# Tests in their place: nothing under src/ (library code and unit tests alike) runs a program or
# reads the environment; tests that need openssl, a peer or `SCEP_*` live in tests/interop/.
# Comments are not looked at.
outside=0
if grep -rnE --include='*.rs' 'std::process|Command::new|env::var|var_os|option_env!|SCEP_' src |
  grep -vE '^[^:]+:[0-9]+:[[:space:]]*//'; then
  echo "outside world: the src/ lines above run a program or read the environment (move them to tests/interop/)"
  outside=1
else
  echo "outside world: no src/ file runs a program or reads the environment"
fi
[ "$layers_rc" -eq 0 ] && [ "$over" -eq 0 ] && [ "$outside" -eq 0 ]
