// Runs JMeter 2.13 (Debian) with XStream's allow-list opened, since Debian's xstream 1.4.20
// refuses JMeter's own classes (ForbiddenClassException) when loading a .jmx plan.
import java.lang.reflect.Field;
public class XsAllow {
    public static void main(String[] args) throws Exception {
        // SaveService reads saveservice.properties through JMeter's properties when loaded.
        String home = System.getProperty("jmeter.home");
        org.apache.jmeter.util.JMeterUtils.setJMeterHome(home);
        org.apache.jmeter.util.JMeterUtils.loadJMeterProperties(home + "/bin/jmeter.properties");
        Class<?> ss = Class.forName("org.apache.jmeter.save.SaveService");
        for (String name : new String[] {"JMXSAVER", "JTLSAVER"}) {
            Field f = ss.getDeclaredField(name);
            f.setAccessible(true);
            com.thoughtworks.xstream.XStream x = (com.thoughtworks.xstream.XStream) f.get(null);
            x.addPermission(com.thoughtworks.xstream.security.AnyTypePermission.ANY);
        }
        new org.apache.jmeter.JMeter().start(args);
    }
}
