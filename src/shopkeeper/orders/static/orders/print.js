// Print documents open the print dialog once loaded.
window.addEventListener("load", function () { window.print(); });
