// Pipy tutorial 01: every request on port 8080 gets "Hi, there!".
import { pipy, Message } from 'sluice';

pipy.listen(8080, ($) => $.serveHTTP(new Message('Hi, there!\n')));
