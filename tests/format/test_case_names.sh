#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints every Catch2 test case whose name holds a ';', its string literals joined as the compiler joins them
# (a name split over several lines too), and fails when there is one.
#   test_case_names.sh TESTS_DIR
set -euo pipefail
found=$(find "$1" -name '*.cpp' -print0 | xargs -0 perl -0ne '
    while (/TEST_CASE\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+),/g) {
        my $name = join("", $1 =~ /"((?:[^"\\]|\\.)*)"/g);
        print "$ARGV: $name\n" if $name =~ /;/;
    }')
if [[ -n "$found" ]]; then
    echo "$found"
    exit 1
fi
