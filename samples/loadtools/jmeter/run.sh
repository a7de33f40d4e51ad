#!/bin/sh
# Serve ./www on 127.0.0.1:18765; port 18766 stays closed (connection refused).
# Debian's jmeter 2.13 cannot load any .jmx with Debian's xstream 1.4.20
# (ForbiddenClassException: org.apache.jmeter.save.ScriptWrapper), so JMeter is started
# through XsAllow.java, which only opens XStream's allow-list and calls JMeter's own main.
set -e
cd "$(dirname "$0")"
rm -f out.jtl out-tab.jtl jmeter.log
CP=/usr/share/jmeter/bin/ApacheJMeter.jar:$(ls /usr/share/jmeter/lib/*.jar /usr/share/jmeter/lib/ext/*.jar | tr '\n' ':').
javac -cp "$CP" XsAllow.java
python3 -m http.server 18765 --bind 127.0.0.1 --directory www >server.log 2>&1 &
SERVER=$!
sleep 1
timeout 60 java -Djmeter.home=/usr/share/jmeter -cp "$CP" XsAllow -n -t plan.jmx -l out.jtl -j jmeter.log \
  -Jjmeter.save.saveservice.output_format=csv \
  -Jjmeter.save.saveservice.print_field_names=true || true
# The same plan again with a tab delimiter (JMeter's `\t` escape for default_delimiter).
timeout 60 java -Djmeter.home=/usr/share/jmeter -cp "$CP" XsAllow -n -t plan.jmx -l out-tab.jtl -j jmeter.log \
  -Jjmeter.save.saveservice.output_format=csv \
  -Jjmeter.save.saveservice.print_field_names=true \
  '-Jjmeter.save.saveservice.default_delimiter=\t' || true
kill $SERVER
