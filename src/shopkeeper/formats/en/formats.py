"""English dates as a store team reads them: day first and a 24-hour clock ("24 Nov 2026 21:43"), not
Django's American defaults ("11/24/2026 9:43 p.m."). Anything not set here is Django's `en`."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "d M Y"
SHORT_DATETIME_FORMAT = "d M Y H:i"
