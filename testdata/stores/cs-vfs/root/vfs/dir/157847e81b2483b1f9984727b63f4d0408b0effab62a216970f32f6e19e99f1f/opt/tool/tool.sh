#!/bin/sh
cat /opt/tool/version
