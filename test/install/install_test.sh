#!/bin/bash
# The install: `cmake --install` into a fresh prefix, then what a user meets there: the binary, the man
# pages (rendered by man/groff), the bash completion (driven as bash drives it), the zsh and fish files
# (parsed where those shells exist), and a separate CMake project built against the installed libdnnc.
#   test/install/install_test.sh BUILD_DIR SOURCE_DIR
set -u -o pipefail
build=$(cd "$1" && pwd) source=$(cd "$2" && pwd)
# A fixed place under the build (removed first, so the install is clean): stable paths let ccache reuse
# the consumer's object across runs.
work=$build/install-test
prefix=$work/prefix
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

rm -rf "$work" && mkdir -p "$work" || exit 1
if ! cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1; then
  cat "$work/install.log" >&2
  echo "FAIL: cmake --install (is the build complete? cmake --build $build --target dnnc_installable)" >&2
  exit 1
fi
ok "cmake --install --prefix $prefix"

for f in bin/dnnc share/man/man1/dnnc.1 share/man/man1/dnnc-prune.1 share/man/man1/dnnc-run.1 \
  share/bash-completion/completions/dnnc share/zsh/site-functions/_dnnc share/fish/vendor_completions.d/dnnc.fish \
  include/dnnc/lib/ir/onnx_io.h include/dnnc/lib/ir/ops.def include/dnnc/passes/registry.h \
  include/dnnc/formats/container.h lib/cmake/dnnc/dnncConfig.cmake lib/cmake/dnnc/dnncTargets.cmake; do
  [ -e "$prefix/$f" ] || fail "not installed: $f"
done
ls "$prefix"/lib/libdnnc_*.a >/dev/null 2>&1 || fail "no static libraries in $prefix/lib"

# The installed binary runs, and names its version.
version=$("$prefix/bin/dnnc" --version) || fail "dnnc --version exited $?"
[[ "$version" =~ ^dnnc\ [0-9]+\.[0-9]+\.[0-9]+ ]] && ok "$version" || fail "dnnc --version printed '$version'"

# One man page per command that `dnnc --help` lists.
commands=$("$prefix/bin/dnnc" --help | sed -n '/^Subcommands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
[ -n "$commands" ] || fail "no commands in dnnc --help"
for c in $commands; do
  [ -f "$prefix/share/man/man1/dnnc-$c.1" ] || fail "no man page for '$c'"
done
ok "man pages for: $(echo $commands)"

# The prune page renders: its sections and a real flag with the text --help gives it.
render() {
  if command -v man >/dev/null; then MANPAGER=cat MANWIDTH=200 man -l "$1" 2>&1
  else groff -man -Tutf8 -rLL=200n -P -bcou "$1" 2>&1; fi
}
page=$(render "$prefix/share/man/man1/dnnc-prune.1")
for section in NAME SYNOPSIS OPTIONS "EXIT STATUS"; do
  grep -q "^$section" <<<"$page" || fail "dnnc-prune.1 has no $section section"
done
grep -q -- "--sparsity" <<<"$page" || fail "dnnc-prune.1 does not render --sparsity"
help_line=$("$prefix/bin/dnnc" prune --help | grep -- "--sparsity" | sed 's/.*--sparsity [^ ]* *//')
grep -qF -- "$help_line" <<<"$page" || fail "dnnc-prune.1 does not say what --help says of --sparsity: '$help_line'"
grep -q "dnnc-prune - " <<<"$page" || fail "dnnc-prune.1 has no NAME line"
ok "man -l dnnc-prune.1 renders NAME, SYNOPSIS, OPTIONS and --sparsity"

# bash: what the completion function offers for a partial command line.
complete_bash() {
  (cd "$source" && bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _dnnc; echo "${COMPREPLY[*]}"' \
    _ "$prefix/share/bash-completion/completions/dnnc" "$@")
}
expect_bash() {  # expect_bash WANTED WORD...
  local wanted=$1; shift
  local got; got=$(complete_bash "$@")
  [[ " $got " == *" $wanted "* ]] && ok "bash: '$*' offers $wanted" || fail "bash: '$*' offered '$got', not '$wanted'"
}
expect_bash prune dnnc pr
expect_bash --sparsity dnnc prune --spa
expect_bash --output dnnc prune model.onnx --out
expect_bash svd dnnc decompose --method ""
expect_bash test/data/lenet5.onnx dnnc info test/data/lenet
[ -z "$(complete_bash dnnc prune --sparsity "")" ] || fail "bash: a number's value offered completions"

# zsh and fish: parse where the shells exist (nothing installs them for this).
for shell in zsh fish; do
  file=$prefix/share/zsh/site-functions/_dnnc
  [ $shell = fish ] && file=$prefix/share/fish/vendor_completions.d/dnnc.fish
  if command -v $shell >/dev/null; then
    $shell -n "$file" && ok "$shell -n $(basename "$file")" || fail "$shell cannot parse $file"
  else
    echo "skip: $shell not installed: $(basename "$file") not parsed"
  fi
done

# A project of its own, built against the installed package only.
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if cmake -S "$source/test/install/consumer" -B "$work/consumer" "${generator[@]}" "${launcher[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" >"$work/consumer.log" 2>&1 &&
  cmake --build "$work/consumer" >>"$work/consumer.log" 2>&1; then
  out=$("$work/consumer/consumer" "$source/test/data/lenet5.onnx") || fail "consumer exited $?"
  echo "$out" | sed 's/^/  consumer: /'
  # LeNet-5 (Caffe): conv1 20x1x5x5+20, conv2 50x20x5x5+50, ip1 500x800+500, ip2 10x500+10.
  grep -qx "params 431080" <<<"$out" && grep -qx "layers 4" <<<"$out" && ok "consumer: find_package(dnnc), dnnc::dnnc, LeNet-5 has 431,080 params" ||
    fail "consumer printed '$out'"
else
  cat "$work/consumer.log" >&2
  fail "the consumer project did not configure or build against $prefix"
fi

[ $failures -eq 0 ] && echo "install: all checks passed" || { echo "install: $failures check(s) failed" >&2; exit 1; }
