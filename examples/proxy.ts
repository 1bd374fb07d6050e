// Pipy tutorial 03: a reverse proxy on port 8000 in front of 127.0.0.1:8080.
// muxHTTP pools upstream connections (one per client connection by default, as in Pipy).
import { pipy } from 'sluice';

pipy.listen(8000, ($) =>
  $.demuxHTTP().to(($) =>
    $.muxHTTP().to(($) =>
      $.connect('127.0.0.1:8080'),
    ),
  ),
);
