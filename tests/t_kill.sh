#!/usr/bin/env bash
. "$(dirname "$0")/lib.sh"
ok 0 "placeholder"
finish
