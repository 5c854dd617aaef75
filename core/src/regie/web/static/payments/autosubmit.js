// Sends the payer on to the provider's payment page; the button stays for browsers without JS.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
