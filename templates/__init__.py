"""The Jinja templates: pages (``admin/``, ``staff/``) and SMS texts (``sms/``).

Installed as the package ``service.templates`` (see setup.py), so that a wheel has them;
``service.template_folder`` says where they are.
"""
